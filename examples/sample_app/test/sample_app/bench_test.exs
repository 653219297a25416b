defmodule SampleApp.BenchTest do
  use ExUnit.Case

  alias SampleApp.Bench

  test "each benchmark runs and returns the elapsed microseconds" do
    for bench <- [&Bench.genserver/1, &Bench.calls/1, &Bench.pingpong/1], n <- [1, 1_001] do
      assert is_integer(bench.(n)) and bench.(n) >= 0
    end
  end

  test "the benchmarks leave no process or message behind" do
    Bench.genserver(100)
    Bench.pingpong(101)
    assert Process.info(self(), :links) == {:links, []}
    refute_received _
  end
end
