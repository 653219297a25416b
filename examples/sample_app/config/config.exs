import Config

# The workload crashes a worker on purpose. Logger reports it on standard error,
# so that standard output holds only what the workload prints.
config :logger, :console, device: :standard_error
