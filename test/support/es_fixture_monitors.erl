%% @doc Monitors for the agent's tests: a watcher that monitors a process
%% by pid and another by registered name, spawns a child with a monitor,
%% takes the named one's monitor back, makes an alias monitor and a
%% gen_server call (whose alias monitors the agent leaves out), and waits
%% for the first process's and the child's `DOWN'.
-module(es_fixture_monitors).

-behaviour(gen_server).

-export([run/0, hold/0]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(NAME, es_fixture_monitors_b).

%% @doc Runs the scenario; returns the references and pids it used.
-spec run() -> map().
run() ->
    Caller = self(),
    A = spawn(fun() -> receive stop -> exit({shutdown, done}) end end),
    B = spawn(fun() -> receive stop -> ok end end),
    register(?NAME, B),
    {ok, G} = gen_server:start(?MODULE, [], []),
    W = spawn(fun() -> watch(Caller, A, G) end),
    receive
        {W, Result} ->
            B ! stop,
            gen_server:stop(G),
            Result#{watcher => W, a => A, b => B}
    after 5000 -> exit(timeout)
    end.

%% @doc Starts a process that monitors another and waits for `stop':
%% a monitor held when recording begins. Returns `{Watcher, Target}'.
-spec hold() -> {pid(), pid()}.
hold() ->
    Caller = self(),
    T = spawn(fun() -> receive stop -> ok end end),
    W = spawn(fun() -> monitor(process, T), Caller ! {self(), held}, receive stop -> T ! stop end end),
    receive {W, held} -> {W, T} end.

watch(Caller, A, G) ->
    RA = monitor(process, A),
    RB = monitor(process, ?NAME),
    {C, RC} = spawn_monitor(fun() -> receive stop -> ok end end),
    true = demonitor(RB),
    _ = erlang:monitor(process, A, [{alias, demonitor}]),
    _ = gen_server:call(G, read),
    A ! stop,
    Why = receive {'DOWN', RA, process, A, R} -> R end,
    C ! stop,
    receive {'DOWN', RC, process, C, _} -> ok end,
    Caller ! {self(), #{ra => RA, rb => RB, rc => RC, child => C, reason => Why}}.

init([]) -> {ok, 0}.
handle_call(read, _From, N) -> {reply, N, N}.
handle_cast(_, N) -> {noreply, N}.
