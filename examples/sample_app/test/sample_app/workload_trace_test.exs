defmodule SampleApp.WorkloadTraceTest do
  # Checks the counts that SampleApp.Workload.run/1 returns against a trace of
  # the run made with the runtime's own tracing (:erlang.trace/3).
  use ExUnit.Case

  alias SampleApp.{Bank, Door, Loop, Worker, Workload}
  alias SampleApp.Bank.{Account, Teller}

  @moduletag :capture_log

  @calls [
    {Account, :init, 1},
    {Account, :handle_call, 3},
    {Teller, :handle_info, 2},
    {Bank, :transfer, 3},
    {Worker, :init, 1},
    {Worker, :handle_call, 3},
    {Door, :locked, 3},
    {Door, :open, 3},
    {Loop, :loop, 1}
  ]

  test "the counts match what a trace of the run shows" do
    {counts, events} = trace(fn -> Workload.run() end)

    calls = for {:trace, _pid, :call, {m, f, args}} <- events, do: {m, f, length(args)}
    returns = for {:trace, _pid, :return_from, mfa, value} <- events, do: {mfa, value}
    me = self()

    assert count(calls, {Account, :init, 1}) == counts.accounts
    assert count(calls, {Account, :handle_call, 3}) == counts.account_calls
    assert count(calls, {Teller, :handle_info, 2}) == counts.transfers

    assert length(for {:trace, ^me, :send, {:transfer, _, _, _}, Teller} <- events, do: 1) ==
             counts.transfers

    assert count(returns, {{Bank, :transfer, 3}, {:error, :insufficient_funds}}) ==
             counts.failed_transfers

    assert count(calls, {Worker, :handle_call, 3}) == counts.worker_calls

    assert length(for {:trace, _, :exception_from, {Worker, _, _}, _} <- events, do: 1) ==
             counts.worker_crashes

    assert count(calls, {Worker, :init, 1}) == counts.worker_restarts

    # The caller spawns and links the tasks, the chain and the loop; all exit :normal.
    spawned = counts.tasks + counts.chain_length + 1
    assert length(for {:trace, ^me, :spawn, _, _} <- events, do: 1) == spawned
    assert length(for {:trace, ^me, :link, _} <- events, do: 1) == spawned
    assert length(for {:trace, pid, :exit, :normal} <- events, pid != me, do: 1) == spawned

    assert length(for {:trace, _, :send, {:token, :baton, _}, _} <- events, do: 1) ==
             counts.chain_messages

    assert count(calls, {Door, :locked, 3}) + count(calls, {Door, :open, 3}) == counts.door_events

    assert length(for {{Door, _, 3}, {:next_state, _, _}} <- returns, do: 1) +
             length(for {{Door, _, 3}, {:next_state, _, _, _}} <- returns, do: 1) ==
             counts.door_transitions

    assert length(for {:trace, _, :receive, {:add, _}} <- events, do: 1) == counts.loop_messages
    # The first call, one per {:add, n} and one after the {:stats, from, ref} request.
    assert count(calls, {Loop, :loop, 1}) == counts.loop_messages + 2
  end

  defp count(list, item), do: Enum.count(list, &(&1 == item))

  # Runs fun with call tracing on @calls in every process, and send, receive
  # and process events on the caller and the processes it spawns. Returns
  # fun's result and the trace events, in order.
  defp trace(fun) do
    collector = spawn_link(fn -> collect([]) end)
    match_spec = [{:_, [], [{:exception_trace}]}]

    # A pattern applies only to modules already loaded, and code loads lazily here.
    for {m, _f, _a} = mfa <- @calls do
      Code.ensure_loaded!(m)
      :erlang.trace_pattern(mfa, match_spec, [:local])
    end

    :erlang.trace(:all, true, [:call, {:tracer, collector}])
    :erlang.trace(self(), true, [:send, :receive, :procs, :set_on_spawn, {:tracer, collector}])

    result =
      try do
        fun.()
      after
        :erlang.trace(:all, false, [:all])
        for mfa <- @calls, do: :erlang.trace_pattern(mfa, false, [:local])
      end

    ref = :erlang.trace_delivered(:all)
    assert_receive {:trace_delivered, :all, ^ref}
    send(collector, {:events, self()})
    assert_receive {:events, events}
    {result, events}
  end

  defp collect(events) do
    receive do
      {:events, to} -> send(to, {:events, Enum.reverse(events)})
      event -> collect([event | events])
    end
  end
end
