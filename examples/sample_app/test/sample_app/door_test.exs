defmodule SampleApp.DoorTest do
  use ExUnit.Case

  alias SampleApp.Door

  @code Application.compile_env!(:sample_app, [:door, :code])
  @open_for Application.compile_env!(:sample_app, [:door, :open_for])

  test "a wrong code keeps the door locked and is counted" do
    assert Door.unlock("0000") == {:error, :wrong_code}
    assert Door.state() == :locked
    assert {:locked, %{attempts: attempts}} = :sys.get_state(Door)
    assert attempts >= 1

    assert Door.unlock(@code) == :ok
    assert {:open, %{attempts: 0}} = :sys.get_state(Door)
    assert Door.lock() == :ok
    assert Door.state() == :locked
  end

  test "the door locks itself again after open_for milliseconds" do
    started = System.monotonic_time(:millisecond)
    assert Door.unlock(@code) == :ok
    assert Door.state() == :open
    assert Door.wait_until_locked() == :ok
    assert System.monotonic_time(:millisecond) - started >= @open_for
    assert Door.state() == :locked
  end

  test "wait_until_locked/0 returns at once when the door is locked" do
    assert Door.state() == :locked
    assert Door.wait_until_locked() == :ok
  end
end
