defmodule SampleApp.Bank.Teller do
  @moduledoc """
  Carries out transfer orders, one at a time, in the order they arrive.

  An order is the plain message `{:transfer, from, to, amount}` (not a cast,
  which would wrap it in `{:"$gen_cast", ...}`), so it can be found in a trace
  as it is. Each order is carried out with `SampleApp.Bank.transfer/3`, and its
  outcome is kept until the next `statement/0`. The state is that list of
  outcomes, the most recent first.
  """

  use GenServer

  alias SampleApp.Bank

  @typedoc "A transfer order, as sent to the teller."
  @type order :: {:transfer, Bank.Account.id(), Bank.Account.id(), pos_integer()}

  @doc "Starts the teller, registered as `SampleApp.Bank.Teller`."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(_opts), do: GenServer.start_link(__MODULE__, [], name: __MODULE__)

  @doc """
  Sends the order `{:transfer, from, to, amount}` to the teller and returns
  `:ok` at once, before the order is carried out.
  """
  @spec order_transfer(Bank.Account.id(), Bank.Account.id(), pos_integer()) :: :ok
  def order_transfer(from, to, amount) when is_integer(amount) and amount > 0 do
    send(__MODULE__, {:transfer, from, to, amount})
    :ok
  end

  @doc """
  Returns the outcome of each order carried out since the last statement,
  oldest first, as `{order, :ok | {:error, :insufficient_funds}}`, and starts
  a new statement.

  Orders sent by the caller before this call are always on the statement.
  """
  @spec statement() :: [{order(), :ok | {:error, :insufficient_funds}}]
  def statement, do: GenServer.call(__MODULE__, :statement)

  @impl true
  def init(outcomes), do: {:ok, outcomes}

  @impl true
  def handle_info({:transfer, from, to, amount} = order, outcomes) do
    {:noreply, [{order, Bank.transfer(from, to, amount)} | outcomes]}
  end

  @impl true
  def handle_call(:statement, _from, outcomes), do: {:reply, Enum.reverse(outcomes), []}
end
