defmodule SampleApp.BankTest do
  use ExUnit.Case

  alias SampleApp.Bank
  alias SampleApp.Bank.{Account, Teller}

  setup do
    for id <- [:a, :b] do
      {:ok, _pid} = Bank.open_account(id, 50)
      on_exit(fn -> Bank.close_account(id) end)
    end

    :ok
  end

  test "accounts take deposits and withdrawals and keep a history" do
    assert Account.deposit(:a, 25) == {:ok, 75}
    assert Account.withdraw(:a, 70) == {:ok, 5}
    assert Account.balance(:a) == 5

    assert :sys.get_state(Account.name(:a)) ==
             %{id: :a, balance: 5, history: [{:withdraw, 70}, {:deposit, 25}]}
  end

  test "a withdrawal of more than the balance is refused and changes nothing" do
    pid = GenServer.whereis(Account.name(:a))
    state = :sys.get_state(pid)

    assert Account.withdraw(:a, 51) == {:error, :insufficient_funds}
    assert :sys.get_state(pid) == state
    assert Process.alive?(pid)
  end

  test "transfer/3 moves money, or nothing when the funds are insufficient" do
    assert Bank.transfer(:a, :b, 20) == :ok
    assert {Account.balance(:a), Account.balance(:b)} == {30, 70}

    assert Bank.transfer(:a, :b, 31) == {:error, :insufficient_funds}
    assert {Account.balance(:a), Account.balance(:b)} == {30, 70}
  end

  test "the teller carries out {:transfer, from, to, amount} messages in order" do
    send(Teller, {:transfer, :a, :b, 50})
    :ok = Teller.order_transfer(:a, :b, 1)
    :ok = Teller.order_transfer(:b, :a, 100)

    assert Teller.statement() == [
             {{:transfer, :a, :b, 50}, :ok},
             {{:transfer, :a, :b, 1}, {:error, :insufficient_funds}},
             {{:transfer, :b, :a, 100}, :ok}
           ]

    assert Teller.statement() == []
    assert {Account.balance(:a), Account.balance(:b)} == {100, 0}
  end

  test "an account opens once and closes once" do
    assert {:error, {:already_started, _pid}} = Bank.open_account(:a)
    assert Bank.close_account(:a) == :ok
    assert Bank.close_account(:a) == {:error, :not_found}
  end
end
