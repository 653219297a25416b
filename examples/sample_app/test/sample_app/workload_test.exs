defmodule SampleApp.WorkloadTest do
  use ExUnit.Case

  import ExUnit.CaptureIO

  alias SampleApp.{Bank, Workload}

  @moduletag :capture_log

  @counts %{
    accounts: 5,
    transfers: 20,
    failed_transfers: 2,
    account_calls: 43,
    tasks: 8,
    worker_calls: 4,
    worker_crashes: 1,
    worker_restarts: 1,
    chain_length: 10,
    chain_messages: 11,
    door_events: 7,
    door_transitions: 4,
    loop_messages: 1000
  }

  test "run/1 returns the counts of what it did, the same every time" do
    assert Workload.run() == @counts
    assert Workload.run() == @counts
  end

  test "run/1 leaves nothing behind" do
    accounts = DynamicSupervisor.count_children(Bank.Supervisor)
    Workload.run()
    assert DynamicSupervisor.count_children(Bank.Supervisor) == accounts
    assert Process.info(self(), :links) == {:links, []}
    refute_received _
    assert Bank.close_account(1) == {:error, :not_found}
    assert SampleApp.Bank.Teller.statement() == []
  end

  test "the scaled counts follow the options" do
    counts = Workload.run(tasks: 3, chain_length: 100, loop_messages: 10_000)
    assert %{tasks: 3, chain_length: 100, chain_messages: 101, loop_messages: 10_000} = counts
  end

  test "run/1 prints nothing unless :verbose" do
    assert capture_io(fn -> Workload.run() end) == ""
    output = capture_io(fn -> Workload.run(verbose: true) end)
    assert output =~ "failed_transfers: 2\n"
    assert output =~ "loop_messages: 1000\n"
  end
end
