// Writes docs/plan.schema.json, the JSON Schema of trace plans, from the zod schema in src/plan/plan.ts.
// Run after a build: `npm run plan-schema`. Editors use it to complete and check plan files.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { planSchema } from "../dist/src/plan/plan.js";

const schema = z.toJSONSchema(planSchema, { io: "input" });
schema.title = "ElixirScope trace plan";
const out = new URL("../docs/plan.schema.json", import.meta.url);
writeFileSync(out, JSON.stringify(schema, null, 2) + "\n");
console.log(`wrote ${out.pathname}`);
