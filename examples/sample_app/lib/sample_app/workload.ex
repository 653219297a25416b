defmodule SampleApp.Workload do
  @moduledoc """
  A deterministic scenario that exercises every part of the sample
  application, for recording and for checking a recording against.

  Everything runs in order from the calling process, and `run/1` returns
  only once everything it started has settled. Running it twice does the
  same work twice.
  """

  alias SampleApp.{Bank, Chain, Client, Door, FanOut, Loop, Worker}
  alias SampleApp.Bank.{Account, Teller}

  @accounts 1..5
  @opening_balance 100

  # Twenty transfers of 10 around the ring of accounts, except the 7th and
  # the 14th, which ask for more than any account holds and are refused.
  @refused [7, 14]
  @transfers Enum.map(1..20, fn i ->
               amount = if i in @refused, do: 1_000, else: 10
               {rem(i, 5) + 1, rem(i + 1, 5) + 1, amount}
             end)

  # Three good inputs, then one that crashes the worker.
  @worker_inputs [1, 2, 3, -1]

  @doc """
  Runs the scenario and returns what it did, as counts to check a recording
  against. With the default options:

      %{
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

  The counts are:

    * `:accounts` - `SampleApp.Bank.Account` processes started (one
      `init/1` each) under `SampleApp.Bank.Supervisor` with a balance of 100,
      and shut down (reason `:shutdown`) at the end.
    * `:transfers` - plain `{:transfer, from, to, amount}` messages sent by
      the caller to `SampleApp.Bank.Teller`, each handled by one
      `Teller.handle_info/2` call. One `:statement` call to the teller follows.
    * `:failed_transfers` - those refused with `{:error, :insufficient_funds}`:
      the withdrawal is refused and no deposit follows.
    * `:account_calls` - `Account.handle_call/3` calls: one `{:withdraw, _}`
      per transfer, one `{:deposit, _}` per transfer that went through and
      one `:balance` per account at the end.
    * `:tasks` - `Task.async/1` processes started by `SampleApp.FanOut.run/1`,
      each exiting `:normal` after sending its result.
    * `:worker_calls` - `SampleApp.Worker.handle_call/3` calls with
      `{:process, input}` from `SampleApp.Client`: 3 answered, the last one
      (input `-1`) raising `ArgumentError`.
    * `:worker_crashes` - exits of `SampleApp.Worker` with reason
      `{%ArgumentError{}, stacktrace}`.
    * `:worker_restarts` - `SampleApp.Worker` processes started (one
      `init/1` each) by `SampleApp.Worker.Supervisor` after a crash.
    * `:chain_length` - processes spawned and linked by `SampleApp.Chain.run/2`,
      each exiting `:normal` after passing the token on.
    * `:chain_messages` - `{:token, token, hops}` messages: the caller's to the
      first process, and one sent by each process (the last one's being the
      reply to the caller), so `chain_length + 1`.
    * `:door_events` - calls of `SampleApp.Door`'s state functions
      (`locked/3` 4 times, `open/3` 3 times): a wrong code, the right code,
      `lock/0`, the right code, `wait_until_locked/0` (postponed while the door
      is open, handled again once it is locked) and the state timeout.
    * `:door_transitions` - changes of the door's state: opened, locked by
      `lock/0`, opened, locked by its timeout.
    * `:loop_messages` - `{:add, n}` messages sent to a fresh
      `SampleApp.Loop` process, each handled by one tail call of its
      `loop/1`. One `{:stats, from, ref}` request and a `:stop` follow.

  Options:

    * `:tasks` - the number of tasks to fan out (default `8`)
    * `:chain_length` - the length of the chain (default `10`)
    * `:loop_messages` - the number of messages sent to the loop (default `1000`)
    * `:verbose` - prints the counts when `true` (default `false`); otherwise
      the workload prints nothing

  Raises if the application does not do what the scenario expects.
  """
  @spec run(keyword()) :: %{atom() => non_neg_integer()}
  def run(opts \\ []) do
    opts =
      Keyword.validate!(opts, tasks: 8, chain_length: 10, loop_messages: 1_000, verbose: false)

    counts =
      bank()
      |> Map.merge(fan_out(opts[:tasks]))
      |> Map.merge(worker())
      |> Map.merge(chain(opts[:chain_length]))
      |> Map.merge(door())
      |> Map.merge(loop(opts[:loop_messages]))

    if opts[:verbose], do: print(counts)
    counts
  end

  defp bank do
    for id <- @accounts, do: {:ok, _pid} = Bank.open_account(id, @opening_balance)
    for {from, to, amount} <- @transfers, do: Teller.order_transfer(from, to, amount)

    # No account ever holds more than 140, so exactly the orders of 1_000 are refused.
    refused = for {order, {:error, :insufficient_funds}} <- Teller.statement(), do: order

    ^refused =
      for {from, to, amount} <- @transfers,
          amount > @opening_balance,
          do: {:transfer, from, to, amount}

    # Money moved between accounts; none was made or lost.
    total = Enum.count(@accounts) * @opening_balance
    ^total = @accounts |> Enum.map(&Account.balance/1) |> Enum.sum()

    for id <- @accounts, do: :ok = Bank.close_account(id)

    transfers = length(@transfers)
    failed = length(@refused)
    account_calls = transfers + (transfers - failed) + Enum.count(@accounts)

    %{
      accounts: Enum.count(@accounts),
      transfers: transfers,
      failed_transfers: failed,
      account_calls: account_calls
    }
  end

  defp fan_out(tasks) do
    ^tasks = tasks |> FanOut.run() |> length()
    %{tasks: tasks}
  end

  defp worker do
    crashed = GenServer.whereis(Worker)
    [{:ok, 1}, {:ok, 4}, {:ok, 9}, {:error, :crashed}] = Client.submit(@worker_inputs)
    true = GenServer.whereis(Worker) not in [crashed, nil]
    %{worker_calls: length(@worker_inputs), worker_crashes: 1, worker_restarts: 1}
  end

  defp chain(length) do
    {:baton, ^length} = Chain.run(length, :baton)
    %{chain_length: length, chain_messages: length + 1}
  end

  defp door do
    code = Application.fetch_env!(:sample_app, :door)[:code]
    {:error, :wrong_code} = Door.unlock("not " <> code)
    :ok = Door.unlock(code)
    :ok = Door.lock()
    :ok = Door.unlock(code)
    :ok = Door.wait_until_locked()
    %{door_events: 7, door_transitions: 4}
  end

  defp loop(messages) do
    {:ok, loop} = Loop.start_link()
    for n <- 1..messages//1, do: Loop.add(loop, n)
    %{count: ^messages} = Loop.stats(loop)
    :ok = Loop.stop(loop)
    %{loop_messages: messages}
  end

  defp print(counts) do
    IO.puts("SampleApp.Workload done:")
    for {name, count} <- Enum.sort(counts), do: IO.puts("  #{name}: #{count}")
  end
end
