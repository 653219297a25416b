defmodule SampleApp.FanOutTest do
  use ExUnit.Case, async: true

  alias SampleApp.FanOut

  test "run/1 returns one checksum per task, in order" do
    assert FanOut.run(8) == Enum.map(1..8, &:erlang.crc32(Integer.to_string(&1)))
  end

  test "the tasks are gone when run/1 returns" do
    {:links, before} = Process.info(self(), :links)
    FanOut.run(4)
    assert Process.info(self(), :links) == {:links, before}
    refute_received _
  end
end
