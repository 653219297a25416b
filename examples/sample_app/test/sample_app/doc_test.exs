defmodule SampleApp.DocTest do
  use ExUnit.Case

  doctest SampleApp.Bank
  doctest SampleApp.Bank.Account
  doctest SampleApp.Worker
  doctest SampleApp.Client
  doctest SampleApp.FanOut
  doctest SampleApp.Chain
  doctest SampleApp.Loop
  doctest SampleApp.Bench.KV
  doctest SampleApp.Bench.Calls
end
