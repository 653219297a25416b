defmodule SampleApp.LoopTest do
  use ExUnit.Case, async: true

  alias SampleApp.Loop

  test "the loop handles each message and reports its state" do
    {:ok, loop} = Loop.start_link()
    Enum.each(1..1_000, &Loop.add(loop, &1))
    assert Loop.stats(loop) == %{count: 1_000, sum: 500_500}
    assert Loop.stop(loop) == :ok
    refute Process.alive?(loop)
  end

  test "the loop's stack does not grow with the messages it handles" do
    {:ok, loop} = Loop.start_link()
    Loop.stats(loop)
    {:stack_size, stack} = Process.info(loop, :stack_size)

    Enum.each(1..100_000, &Loop.add(loop, &1))
    Loop.stats(loop)
    assert Process.info(loop, :stack_size) == {:stack_size, stack}
    Loop.stop(loop)
  end

  test "a loop can be registered under a name" do
    {:ok, loop} = Loop.start_link(name: :test_loop)
    Loop.add(:test_loop, 7)
    assert Loop.stats(:test_loop) == %{count: 1, sum: 7}
    Loop.stop(:test_loop)
    refute Process.alive?(loop)
  end
end
