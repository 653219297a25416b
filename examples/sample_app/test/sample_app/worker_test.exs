defmodule SampleApp.WorkerTest do
  use ExUnit.Case

  alias SampleApp.{Client, Worker}

  @moduletag :capture_log

  test "bad input from the client crashes the worker, and the supervisor restarts it" do
    worker = GenServer.whereis(Worker)
    ref = Process.monitor(worker)

    assert Client.submit([4, -1]) == [{:ok, 16}, {:error, :crashed}]

    assert_receive {:DOWN, ^ref, :process, ^worker, {%ArgumentError{} = error, _stacktrace}}
    assert Exception.message(error) == "expected a non-negative integer, got: -1"

    restarted = GenServer.whereis(Worker)
    assert is_pid(restarted) and restarted != worker
    assert :sys.get_state(restarted) == %{processed: 0}
    assert Worker.process(5) == 25
  end

  test "the inputs after a crash go to the restarted worker" do
    %{sent: sent, crashed: crashed} = :sys.get_state(Client)

    assert Client.submit([1.5, 2, :two, 3]) == [
             {:error, :crashed},
             {:ok, 4},
             {:error, :crashed},
             {:ok, 9}
           ]

    assert :sys.get_state(Client) == %{sent: sent + 4, crashed: crashed + 2}
    assert :sys.get_state(Worker) == %{processed: 1}
  end
end
