defmodule SampleApp.FanOut do
  @moduledoc """
  Fans a small computation out to tasks and gathers the results.
  """

  @doc """
  Starts `n` tasks with `Task.async/1`, the `i`-th computing `checksum(i)`,
  awaits them all and returns their results in order.

  Each task is a process linked to and monitored by the caller. It sends its
  result back and exits with reason `:normal`.

      iex> SampleApp.FanOut.run(3)
      [2212294583, 450215437, 1842515611]

  """
  @spec run(pos_integer()) :: [non_neg_integer()]
  def run(n) when is_integer(n) and n > 0 do
    1..n
    |> Enum.map(fn i -> Task.async(fn -> checksum(i) end) end)
    |> Task.await_many()
  end

  @doc """
  The CRC-32 of the decimal digits of `i`.

      iex> SampleApp.FanOut.checksum(1)
      2212294583

  """
  @spec checksum(integer()) :: non_neg_integer()
  def checksum(i), do: :erlang.crc32(Integer.to_string(i))
end
