defmodule SampleApp.Door do
  @moduledoc """
  A door with a code lock: a `:gen_statem` with the states `:locked` and
  `:open`, written with state functions (`locked/3` and `open/3`).

    * In `:locked`, the right code opens the door; a wrong one is counted in
      the data's `attempts`.
    * In `:open`, `lock/0` locks it again, and so does a state timeout of
      `open_for` milliseconds after it opened.

  Its data is `%{code: code, open_for: milliseconds, attempts: wrong_codes}`,
  `attempts` counting the wrong codes tried since the door last opened.
  """

  @behaviour :gen_statem

  @typedoc "The door's state."
  @type state :: :locked | :open

  @doc "A child specification that starts the door with `start_link/1`."
  @spec child_spec(keyword()) :: Supervisor.child_spec()
  def child_spec(opts), do: %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}

  @doc """
  Starts the door, locked, registered as `SampleApp.Door`.

  Options: `:code` (required), the code that opens it, and `:open_for`, the
  milliseconds it stays open before locking itself (default `5_000`).
  """
  @spec start_link(keyword()) :: :gen_statem.start_ret()
  def start_link(opts) do
    data = %{code: Keyword.fetch!(opts, :code), open_for: Keyword.get(opts, :open_for, 5_000)}
    :gen_statem.start_link({:local, __MODULE__}, __MODULE__, data, [])
  end

  @doc """
  Tries to open the door with `code`.

  Returns `:ok` when the door opens (or is open already) and
  `{:error, :wrong_code}` when it stays locked.
  """
  @spec unlock(String.t()) :: :ok | {:error, :wrong_code}
  def unlock(code), do: :gen_statem.call(__MODULE__, {:unlock, code})

  @doc "Locks the door. Returns `:ok`."
  @spec lock() :: :ok
  def lock, do: :gen_statem.call(__MODULE__, :lock)

  @doc "Returns the door's state, `:locked` or `:open`."
  @spec state() :: state()
  def state, do: :gen_statem.call(__MODULE__, :state)

  @doc """
  Returns `:ok` once the door is locked.

  While the door is open the request is postponed, and handled again when
  the door locks, by `lock/0` or by its timeout.

  Like the other calls here, it has no timeout: with one, `:gen_statem.call/3`
  on OTP 25 would make the call from a short-lived proxy process.
  """
  @spec wait_until_locked() :: :ok
  def wait_until_locked, do: :gen_statem.call(__MODULE__, :wait_until_locked)

  @impl true
  def callback_mode, do: :state_functions

  @impl true
  def init(data), do: {:ok, :locked, Map.put(data, :attempts, 0)}

  @doc "Handles the door's events in the `:locked` state."
  def locked({:call, from}, {:unlock, code}, %{code: code} = data) do
    actions = [{:reply, from, :ok}, {:state_timeout, data.open_for, :lock}]
    {:next_state, :open, %{data | attempts: 0}, actions}
  end

  def locked({:call, from}, {:unlock, _wrong_code}, data) do
    {:keep_state, %{data | attempts: data.attempts + 1}, {:reply, from, {:error, :wrong_code}}}
  end

  def locked({:call, from}, request, _data) when request in [:lock, :wait_until_locked] do
    {:keep_state_and_data, {:reply, from, :ok}}
  end

  def locked({:call, from}, :state, _data), do: {:keep_state_and_data, {:reply, from, :locked}}

  @doc "Handles the door's events in the `:open` state."
  def open({:call, from}, {:unlock, _code}, _data),
    do: {:keep_state_and_data, {:reply, from, :ok}}

  def open({:call, from}, :lock, data), do: {:next_state, :locked, data, {:reply, from, :ok}}
  def open(:state_timeout, :lock, data), do: {:next_state, :locked, data}
  def open({:call, _from}, :wait_until_locked, _data), do: {:keep_state_and_data, :postpone}
  def open({:call, from}, :state, _data), do: {:keep_state_and_data, {:reply, from, :open}}
end
