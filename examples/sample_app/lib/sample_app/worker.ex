defmodule SampleApp.Worker do
  @moduledoc """
  A worker that squares non-negative integers, and crashes on anything else.

  It is registered as `SampleApp.Worker` and supervised by
  `SampleApp.Worker.Supervisor`, which starts a fresh one after each crash.
  Its state counts the inputs it has processed since it started, so a restart
  shows up as the count going back to `0`.

  Bad input raises `ArgumentError` in `c:GenServer.handle_call/3`: the worker
  exits with `{%ArgumentError{}, stacktrace}` and the caller's call exits too.
  `SampleApp.Client` is the process that sends it inputs in the workload.
  """

  use GenServer

  @doc "Starts the worker, registered as `SampleApp.Worker`."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc """
  Asks the worker to process `input` with the call `{:process, input}`.

  Returns `input * input` for a non-negative integer. Any other input crashes
  the worker, and this call exits.

      iex> SampleApp.Worker.process(12)
      144

  """
  @spec process(term()) :: non_neg_integer()
  def process(input), do: GenServer.call(__MODULE__, {:process, input})

  @impl true
  def init(:ok), do: {:ok, %{processed: 0}}

  @impl true
  def handle_call({:process, input}, _from, state) do
    unless is_integer(input) and input >= 0 do
      raise ArgumentError, "expected a non-negative integer, got: #{inspect(input)}"
    end

    {:reply, input * input, %{state | processed: state.processed + 1}}
  end
end
