%% @doc A two-state gen_statem for the recording agent's tests: `idle' and
%% `busy', switched by `toggle', with a counter as its data. `wait' is
%% postponed while busy; `poke_twice' pokes once and inserts a second poke.
-module(es_fixture_sm).
-behaviour(gen_statem).

-export([start/1, toggle/1, poke/1, toggle_and_wait/1, poke_twice/1]).
-export([init/1, callback_mode/0, idle/3, busy/3]).

start(Name) ->
    {ok, Pid} = gen_statem:start({local, Name}, ?MODULE, 0, []),
    Pid.

toggle(Name) -> gen_statem:call(Name, toggle).
poke(Name) -> gen_statem:call(Name, poke).
poke_twice(Name) -> gen_statem:call(Name, poke_twice).

%% While busy: a `wait' request, postponed, then `toggle' (sent after it,
%% from the same process), after which `wait' is retried. Returns its reply.
toggle_and_wait(Name) ->
    Wait = gen_statem:send_request(Name, wait),
    idle = toggle(Name),
    {reply, N} = gen_statem:wait_response(Wait, 1000),
    N.

init(N) -> {ok, idle, N}.
callback_mode() -> state_functions.

idle({call, From}, toggle, N) -> {next_state, busy, N + 1, [{reply, From, busy}]};
idle({call, From}, poke, N) -> {keep_state, N + 1, [{reply, From, N + 1}]};
idle({call, From}, wait, N) -> {keep_state_and_data, [{reply, From, N}]};
idle({call, From}, poke_twice, N) -> {keep_state, N + 1, [{reply, From, N + 1}, {next_event, internal, poke}]};
idle(internal, poke, N) -> {keep_state, N + 1}.

busy({call, From}, toggle, N) -> {next_state, idle, N + 1, [{reply, From, idle}]};
busy({call, From}, poke, N) -> {keep_state, N + 1, [{reply, From, N + 1}]};
busy({call, _}, wait, _) -> {keep_state_and_data, postpone}.
