defmodule SampleApp.Bench.Calls do
  @moduledoc """
  The function `SampleApp.Bench.calls/1` calls.

  It is public and called by its full name, so both global and local call
  tracing see every call; the compiler does not inline it.
  """

  @doc """
  Adds an entry's amount to a tally.

      iex> SampleApp.Bench.Calls.tally(%{count: 1, total: 5}, %{amount: 3})
      %{count: 2, total: 8}

  """
  @spec tally(%{count: non_neg_integer(), total: number()}, %{amount: number()}) ::
          %{count: non_neg_integer(), total: number()}
  def tally(%{count: count, total: total} = tally, %{amount: amount}) do
    %{tally | count: count + 1, total: total + amount}
  end
end
