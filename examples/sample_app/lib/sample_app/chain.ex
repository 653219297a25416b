defmodule SampleApp.Chain do
  @moduledoc """
  A chain of plain processes that pass a token from one to the next.
  """

  @doc """
  Spawns a chain of `length` processes, passes `token` along it and returns
  `{token, hops}` as the last process sends it back, `hops` being the number
  of processes it went through.

  The caller spawns every process with a link (and a monitor) and sends
  `{:token, token, 0}` to the first one. Each process sends
  `{:token, token, hops + 1}` to the next one, the last one to the caller,
  and exits with reason `:normal`. That is `length + 1` token messages in
  all. The chain is gone when this function returns: it waits for every
  process to exit.

      iex> SampleApp.Chain.run(3, :hello)
      {:hello, 3}

  """
  @spec run(pos_integer(), term()) :: {term(), pos_integer()}
  def run(length, token) when is_integer(length) and length > 0 do
    # Spawned from the last to the first, so that each one knows the next.
    {first, monitors} =
      Enum.reduce(1..length, {self(), []}, fn _, {next, monitors} ->
        {pid, monitor} = Process.spawn(fn -> relay(next) end, [:link, :monitor])
        {pid, [monitor | monitors]}
      end)

    send(first, {:token, token, 0})

    hops =
      receive do
        {:token, ^token, hops} -> hops
      end

    for monitor <- monitors do
      receive do
        {:DOWN, ^monitor, :process, _pid, :normal} -> :ok
      end
    end

    {token, hops}
  end

  defp relay(next) do
    receive do
      {:token, token, hops} -> send(next, {:token, token, hops + 1})
    end
  end
end
