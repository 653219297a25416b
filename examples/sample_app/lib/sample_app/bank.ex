defmodule SampleApp.Bank do
  @moduledoc """
  A small bank: one `SampleApp.Bank.Account` process per account, started
  under the `SampleApp.Bank.Supervisor` dynamic supervisor.

  `transfer/3` moves money with two calls, a withdrawal from one account and
  then a deposit to the other. `SampleApp.Bank.Teller` does the same on
  receipt of a plain `{:transfer, from, to, amount}` message.

      iex> {:ok, _} = SampleApp.Bank.open_account(:alice, 100)
      iex> {:ok, _} = SampleApp.Bank.open_account(:bob, 0)
      iex> SampleApp.Bank.transfer(:alice, :bob, 30)
      :ok
      iex> SampleApp.Bank.transfer(:alice, :bob, 500)
      {:error, :insufficient_funds}
      iex> {SampleApp.Bank.Account.balance(:alice), SampleApp.Bank.Account.balance(:bob)}
      {70, 30}
      iex> SampleApp.Bank.close_account(:alice)
      :ok
      iex> SampleApp.Bank.close_account(:bob)
      :ok

  """

  alias SampleApp.Bank.Account

  @doc """
  Opens the account `id` with an opening `balance`.

  Returns `{:ok, pid}`, or `{:error, {:already_started, pid}}` when the
  account is already open.
  """
  @spec open_account(Account.id(), non_neg_integer()) :: DynamicSupervisor.on_start_child()
  def open_account(id, balance \\ 0) do
    DynamicSupervisor.start_child(__MODULE__.Supervisor, {Account, id: id, balance: balance})
  end

  @doc """
  Closes the account `id`: its process is shut down and its money is gone.

  Returns `:ok`, or `{:error, :not_found}` when there is no such account.
  """
  @spec close_account(Account.id()) :: :ok | {:error, :not_found}
  def close_account(id) do
    case GenServer.whereis(Account.name(id)) do
      nil -> {:error, :not_found}
      pid -> DynamicSupervisor.terminate_child(__MODULE__.Supervisor, pid)
    end
  end

  @doc """
  Moves `amount` from the account `from` to the account `to`.

  Makes two calls: `SampleApp.Bank.Account.withdraw/2` on `from`, then, when
  that succeeded, `SampleApp.Bank.Account.deposit/2` on `to`. Returns
  `{:error, :insufficient_funds}`, and changes nothing, when `from` holds less
  than `amount`.
  """
  @spec transfer(Account.id(), Account.id(), pos_integer()) :: :ok | {:error, :insufficient_funds}
  def transfer(from, to, amount) do
    with {:ok, _balance} <- Account.withdraw(from, amount),
         {:ok, _balance} <- Account.deposit(to, amount) do
      :ok
    end
  end
end
