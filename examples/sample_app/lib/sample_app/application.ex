defmodule SampleApp.Application do
  @moduledoc """
  Starts the sample application's supervision tree:

      SampleApp.Supervisor (one_for_one)
      ├── SampleApp.Bank.Supervisor   DynamicSupervisor of SampleApp.Bank.Account
      ├── SampleApp.Bank.Teller       carries out {:transfer, from, to, amount} orders
      ├── SampleApp.Worker.Supervisor one_for_one supervisor of SampleApp.Worker
      ├── SampleApp.Client            sends inputs, good and bad, to SampleApp.Worker
      └── SampleApp.Door              a :gen_statem door that locks itself again

  Task fan-outs (`SampleApp.FanOut`), process chains (`SampleApp.Chain`) and
  receive loops (`SampleApp.Loop`) are started on demand by whoever uses them.
  """

  use Application

  @impl true
  def start(_type, _args) do
    children = [
      {DynamicSupervisor, name: SampleApp.Bank.Supervisor, strategy: :one_for_one},
      SampleApp.Bank.Teller,
      SampleApp.Worker.Supervisor,
      SampleApp.Client,
      {SampleApp.Door, Application.fetch_env!(:sample_app, :door)}
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: SampleApp.Supervisor)
  end
end
