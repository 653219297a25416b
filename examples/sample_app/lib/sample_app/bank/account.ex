defmodule SampleApp.Bank.Account do
  @moduledoc """
  A bank account: a `GenServer` registered as `:"account_<id>"` whose state is

      %{id: id, balance: 100, history: [{:withdraw, 30}, {:deposit, 130}]}

  with the most recent operation first in `history`. A refused withdrawal
  leaves the state as it was.

  Accounts are opened and closed with `SampleApp.Bank.open_account/2` and
  `SampleApp.Bank.close_account/1`.
  """

  use GenServer

  @typedoc "An account's identifier: a small integer or an atom."
  @type id :: integer() | atom()

  @doc """
  Starts an account process, linked to the caller.

  Options: `:id` (required) and `:balance`, the opening balance (default `0`).
  """
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts) do
    id = Keyword.fetch!(opts, :id)
    GenServer.start_link(__MODULE__, {id, Keyword.get(opts, :balance, 0)}, name: name(id))
  end

  @doc """
  The name the account `id` is registered under.

      iex> SampleApp.Bank.Account.name(7)
      :account_7

  """
  @spec name(id()) :: atom()
  def name(id), do: :"account_#{id}"

  @doc "Deposits `amount` into the account `id` and returns `{:ok, new_balance}`."
  @spec deposit(id(), pos_integer()) :: {:ok, non_neg_integer()}
  def deposit(id, amount) when is_integer(amount) and amount > 0 do
    GenServer.call(name(id), {:deposit, amount})
  end

  @doc """
  Withdraws `amount` from the account `id` and returns `{:ok, new_balance}`,
  or `{:error, :insufficient_funds}` when the balance is less than `amount`.
  """
  @spec withdraw(id(), pos_integer()) :: {:ok, non_neg_integer()} | {:error, :insufficient_funds}
  def withdraw(id, amount) when is_integer(amount) and amount > 0 do
    GenServer.call(name(id), {:withdraw, amount})
  end

  @doc "Returns the balance of the account `id`."
  @spec balance(id()) :: non_neg_integer()
  def balance(id), do: GenServer.call(name(id), :balance)

  @impl true
  def init({id, balance}), do: {:ok, %{id: id, balance: balance, history: []}}

  @impl true
  def handle_call({:deposit, amount}, _from, state) do
    state = %{
      state
      | balance: state.balance + amount,
        history: [{:deposit, amount} | state.history]
    }

    {:reply, {:ok, state.balance}, state}
  end

  def handle_call({:withdraw, amount}, _from, %{balance: balance} = state)
      when amount > balance do
    {:reply, {:error, :insufficient_funds}, state}
  end

  def handle_call({:withdraw, amount}, _from, state) do
    state = %{
      state
      | balance: state.balance - amount,
        history: [{:withdraw, amount} | state.history]
    }

    {:reply, {:ok, state.balance}, state}
  end

  def handle_call(:balance, _from, state), do: {:reply, state.balance, state}
end
