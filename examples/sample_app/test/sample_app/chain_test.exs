defmodule SampleApp.ChainTest do
  use ExUnit.Case, async: true

  alias SampleApp.Chain

  test "the token goes through every process and back to the caller" do
    assert Chain.run(10, {:token, 42}) == {{:token, 42}, 10}
    assert Chain.run(1, "solo") == {"solo", 1}
  end

  test "the chain is stopped when run/2 returns" do
    assert Chain.run(50, :token) == {:token, 50}
    assert Process.info(self(), :links) == {:links, []}
    refute_received _
  end
end
