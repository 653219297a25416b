# Runs SampleApp.Workload once and prints its counts, one `name: count` a line:
#
#     mix run run_workload.exs
#     mix run run_workload.exs --loop-messages 100000 --chain-length 50 --tasks 16
#
{opts, _args} =
  OptionParser.parse!(System.argv(),
    strict: [tasks: :integer, chain_length: :integer, loop_messages: :integer]
  )

SampleApp.Workload.run([verbose: true] ++ opts)
