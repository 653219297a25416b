defmodule SampleApp.Bench do
  @moduledoc """
  Fixed workloads for benchmarking a recorder: each one does the same work
  every time it runs with the same `n`, and returns how long it took in
  microseconds (measured with `:timer.tc/1`).
  """

  alias SampleApp.Bench.{Calls, KV}

  @clients 8

  @doc """
  Makes `n` calls to a `SampleApp.Bench.KV` server holding 100 keys, from 8
  concurrent client tasks.

  The calls are shared out evenly between the clients; each one alternates
  `KV.get/2` and `KV.put/3` over the keys. The server is started before and
  stopped after the measurement.
  """
  @spec genserver(non_neg_integer()) :: non_neg_integer()
  def genserver(n) when is_integer(n) and n >= 0 do
    {:ok, kv} = KV.start_link(100)

    {elapsed, _results} =
      :timer.tc(fn ->
        0..(@clients - 1)
        |> Enum.map(fn client -> Task.async(fn -> kv_client(kv, client, n) end) end)
        |> Task.await_many(:infinity)
      end)

    :ok = GenServer.stop(kv)
    elapsed
  end

  # Client `client` (0 to 7) makes the calls numbered client, client + 8, ...,
  # in rounds of 8 calls: a get in the even rounds, a put in the odd ones.
  defp kv_client(kv, client, n) do
    Enum.each(client..(n - 1)//@clients, fn call ->
      key = rem(call, 100)
      if rem(div(call, @clients), 2) == 0, do: KV.get(kv, key), else: KV.put(kv, key, call)
    end)
  end

  @doc """
  Makes `n` calls of `SampleApp.Bench.Calls.tally/2`, each with two small maps
  as arguments.

  No other function of `SampleApp.Bench.Calls` is called, so tracing that
  module sees exactly `n` calls.
  """
  @spec calls(non_neg_integer()) :: non_neg_integer()
  def calls(n) when is_integer(n) and n >= 0 do
    {elapsed, %{count: ^n}} = :timer.tc(fn -> call_loop(n, %{count: 0, total: 0}) end)
    elapsed
  end

  defp call_loop(0, tally), do: tally
  defp call_loop(n, tally), do: call_loop(n - 1, Calls.tally(tally, %{amount: rem(n, 10)}))

  @doc """
  Has two processes play ping-pong with `n` messages in all (`n >= 1`).

  The messages are `{:ball, sender, left}`, `left` counting the messages
  still to come; each process exits with reason `:normal` after the last
  message it sends or receives. The measurement includes spawning the two
  processes and waiting for them to exit.
  """
  @spec pingpong(pos_integer()) :: non_neg_integer()
  def pingpong(n) when is_integer(n) and n > 0 do
    {elapsed, :ok} =
      :timer.tc(fn ->
        {pong, pong_ref} = Process.spawn(fn -> volley() end, [:link, :monitor])
        {_ping, ping_ref} = Process.spawn(fn -> hit(pong, n - 1) end, [:link, :monitor])

        for ref <- [ping_ref, pong_ref] do
          receive do
            {:DOWN, ^ref, :process, _pid, :normal} -> :ok
          end
        end

        :ok
      end)

    elapsed
  end

  defp hit(to, left) do
    send(to, {:ball, self(), left})
    if left > 0, do: volley(), else: :ok
  end

  defp volley do
    receive do
      {:ball, _from, 0} -> :ok
      {:ball, from, left} -> hit(from, left - 1)
    end
  end
end
