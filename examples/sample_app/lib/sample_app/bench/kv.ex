defmodule SampleApp.Bench.KV do
  @moduledoc """
  A key-value server for `SampleApp.Bench.genserver/1`: a `GenServer` whose
  state is a map of integer keys, all set to `0` when it starts.
  """

  use GenServer

  @doc "Starts a server, linked to the caller, holding the keys `0` to `keys - 1`."
  @spec start_link(pos_integer()) :: GenServer.on_start()
  def start_link(keys), do: GenServer.start_link(__MODULE__, keys)

  @doc """
  Returns the value of `key`, or `nil` when there is no such key.

      iex> {:ok, kv} = SampleApp.Bench.KV.start_link(100)
      iex> SampleApp.Bench.KV.put(kv, 42, :answer)
      :ok
      iex> SampleApp.Bench.KV.get(kv, 42)
      :answer
      iex> SampleApp.Bench.KV.get(kv, 0)
      0

  """
  @spec get(GenServer.server(), term()) :: term()
  def get(kv, key), do: GenServer.call(kv, {:get, key})

  @doc "Sets `key` to `value`. Returns `:ok`."
  @spec put(GenServer.server(), term(), term()) :: :ok
  def put(kv, key, value), do: GenServer.call(kv, {:put, key, value})

  @doc "Replaces the whole map with `map`. Returns `:ok`."
  @spec replace(GenServer.server(), map()) :: :ok
  def replace(kv, map) when is_map(map), do: GenServer.call(kv, {:replace, map})

  @impl true
  def init(keys), do: {:ok, Map.new(0..(keys - 1), &{&1, 0})}

  @impl true
  def handle_call({:get, key}, _from, map), do: {:reply, Map.get(map, key), map}
  def handle_call({:put, key, value}, _from, map), do: {:reply, :ok, Map.put(map, key, value)}
  def handle_call({:replace, new}, _from, _map), do: {:reply, :ok, new}
end
