/** The query engine's entry point: `openRecording(path)` and the shapes of its answers. */
export * from "./api.js";
export { openLiveRecording, openRecording, RecordingError } from "./engine.js";
