defmodule SampleApp.Worker.Supervisor do
  @moduledoc """
  A `:one_for_one` supervisor for `SampleApp.Worker`, which restarts it each
  time it crashes.

  The worker crashes on purpose, so the supervisor allows up to 100 restarts
  a second (rather than the default 3 in 5 seconds): running the workload
  several times in a row must not bring the supervisor down.
  """

  use Supervisor

  @doc "Starts the supervisor, registered as `SampleApp.Worker.Supervisor`."
  @spec start_link(keyword()) :: Supervisor.on_start()
  def start_link(_opts), do: Supervisor.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok) do
    Supervisor.init([SampleApp.Worker], strategy: :one_for_one, max_restarts: 100, max_seconds: 1)
  end
end
