%% @doc A two-state gen_statem for the recording agent's tests: `idle' and
%% `busy', switched by `toggle', with a counter as its data.
-module(es_fixture_sm).
-behaviour(gen_statem).

-export([start/1, toggle/1, poke/1]).
-export([init/1, callback_mode/0, idle/3, busy/3]).

start(Name) ->
    {ok, Pid} = gen_statem:start({local, Name}, ?MODULE, 0, []),
    Pid.

toggle(Name) -> gen_statem:call(Name, toggle).
poke(Name) -> gen_statem:call(Name, poke).

init(N) -> {ok, idle, N}.
callback_mode() -> state_functions.

idle({call, From}, toggle, N) -> {next_state, busy, N + 1, [{reply, From, busy}]};
idle({call, From}, poke, N) -> {keep_state, N + 1, [{reply, From, N + 1}]}.

busy({call, From}, toggle, N) -> {next_state, idle, N + 1, [{reply, From, idle}]};
busy({call, From}, poke, N) -> {keep_state, N + 1, [{reply, From, N + 1}]}.
