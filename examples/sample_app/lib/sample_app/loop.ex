defmodule SampleApp.Loop do
  @moduledoc """
  A long-running plain process: a `receive` loop that calls itself, as its
  last act, with its new state after each message.

  Its state is `%{count: messages_added, sum: sum_of_their_numbers}`. Since
  `loop/1` is a tail call, the process's stack and memory stay the same
  however many messages it handles (unless something, such as return
  tracing, keeps a frame per call).

      iex> {:ok, loop} = SampleApp.Loop.start_link()
      iex> Enum.each(1..10, &SampleApp.Loop.add(loop, &1))
      iex> SampleApp.Loop.stats(loop)
      %{count: 10, sum: 55}
      iex> SampleApp.Loop.stop(loop)
      :ok

  """

  @doc """
  Spawns a loop linked to the caller and returns `{:ok, pid}`.

  Option: `:name`, a name to register it under.
  """
  @spec start_link(keyword()) :: {:ok, pid()}
  def start_link(opts \\ []) do
    pid = spawn_link(fn -> loop(%{count: 0, sum: 0}) end)
    if name = opts[:name], do: Process.register(pid, name)
    {:ok, pid}
  end

  @doc "A child specification that starts a loop with `start_link/1`."
  @spec child_spec(keyword()) :: Supervisor.child_spec()
  def child_spec(opts), do: %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}

  @doc "Sends the message `{:add, number}` to `loop` and returns `:ok`."
  @spec add(pid() | atom(), number()) :: :ok
  def add(loop, number) do
    send(loop, {:add, number})
    :ok
  end

  @doc """
  Returns the state of `loop`, after every message the caller sent it
  before.
  """
  @spec stats(pid() | atom()) :: %{count: non_neg_integer(), sum: number()}
  def stats(loop) do
    ref = make_ref()
    send(loop, {:stats, self(), ref})

    receive do
      {^ref, state} -> state
    end
  end

  @doc "Stops `loop` with the message `:stop` and returns `:ok` once it has exited."
  @spec stop(pid() | atom()) :: :ok
  def stop(loop) do
    ref = Process.monitor(loop)
    send(loop, :stop)

    receive do
      {:DOWN, ^ref, :process, _pid, _reason} -> :ok
    end
  end

  defp loop(state) do
    receive do
      {:add, number} ->
        loop(%{state | count: state.count + 1, sum: state.sum + number})

      {:stats, from, ref} ->
        send(from, {ref, state})
        loop(state)

      :stop ->
        :ok
    end
  end
end
