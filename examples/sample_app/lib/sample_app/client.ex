defmodule SampleApp.Client do
  @moduledoc """
  The process that sends inputs to `SampleApp.Worker`, registered as
  `SampleApp.Client`.

  When an input crashes the worker, the client waits for the supervisor to
  restart it (with one `Supervisor.count_children/1` call) before it goes on,
  and reports the crash to whoever submitted the inputs. Its state counts the
  inputs it has sent and the ones that crashed the worker.
  """

  use GenServer

  @doc "Starts the client, registered as `SampleApp.Client`."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc """
  Has the client send each input to the worker, in order, with
  `SampleApp.Worker.process/1`.

  Returns one result per input: `{:ok, output}`, or `{:error, :crashed}` when
  the input crashed the worker. The inputs after a crash go to the restarted
  worker.

      iex> SampleApp.Client.submit([1, 2, 3])
      [{:ok, 1}, {:ok, 4}, {:ok, 9}]

  """
  @spec submit([term()]) :: [{:ok, non_neg_integer()} | {:error, :crashed}]
  def submit(inputs) when is_list(inputs), do: GenServer.call(__MODULE__, {:submit, inputs})

  @impl true
  def init(:ok), do: {:ok, %{sent: 0, crashed: 0}}

  @impl true
  def handle_call({:submit, inputs}, _from, state) do
    results = Enum.map(inputs, &send_input/1)
    crashed = Enum.count(results, &(&1 == {:error, :crashed}))
    state = %{state | sent: state.sent + length(inputs), crashed: state.crashed + crashed}
    {:reply, results, state}
  end

  defp send_input(input) do
    {:ok, SampleApp.Worker.process(input)}
  catch
    :exit, _reason ->
      await_restart()
      {:error, :crashed}
  end

  # A dying process signals its links before its monitors, so the supervisor
  # has the crashed worker's exit signal in its queue before our call exits,
  # ahead of this request: once it returns, the new worker is running.
  defp await_restart, do: Supervisor.count_children(SampleApp.Worker.Supervisor)
end
