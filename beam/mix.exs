defmodule ElixirScope.MixProject do
  @moduledoc """
  ElixirScope's in-VM agent as a Mix dependency, for projects that start
  their recordings from their own configuration:

      {:elixirscope, path: "path/to/elixirscope/beam", only: :dev}

  The Erlang sources are `src/*.erl`; the application, `:elixirscope_app`,
  does nothing unless `config :elixirscope, collector: {host, port}` is set.
  """
  use Mix.Project

  def project do
    [
      app: :elixirscope,
      version: "0.1.0",
      elixir: "~> 1.14",
      erlc_paths: ["src"],
      erlc_options: [:debug_info],
      deps: []
    ]
  end

  def application do
    [
      mod: {:elixirscope_app, []},
      extra_applications: [:logger]
    ]
  end
end
