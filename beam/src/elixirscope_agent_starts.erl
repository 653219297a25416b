%% @doc Captures the state of GenServers and gen_statems as they start.
%%
%% With `state => all', a behaviour process that starts while the session
%% records has its state captured from its first callback. The guard starts
%% this process for that. It is the tracer of the meta patterns on
%% `gen_server:init_it/6' and `gen_statem:init_it/6'
%% (`elixirscope_agent_trace:watch_starts/2'), runs at high priority and
%% does nothing else, so the capture request reaches a new process while
%% its `init/1' runs however busy the guard is (applying a plan change for
%% modules being loaded, for instance):
%%
%% ```
%%   new process ── init_it/6 meta message ──▶ starts ── sys requests ──▶ new process
%%                                               │
%%                                               └── {captured, Pid} ──▶ guard (monitors it,
%%                                                                       removes it at the end)
%% '''
%%
%% A process whose callback module is one of OTP's or Elixir's is left
%% alone (`elixirscope_agent_state:started/2'). At most `?PER_SEC' starts a
%% second are captured; the others are counted in the counter the guard
%% gives, which the session's summary reports as `state_starts_skipped'.
%%
%% The process stops when asked ({@link stop/1}, which returns once every
%% capture it made has been reported to the guard) or when the guard dies,
%% and removes the meta patterns first either way.
-module(elixirscope_agent_starts).

-export([start/4, set_budget/2, stop/1]).

-define(PER_SEC, 1000).

%% @doc Starts watching for `Guard': captures go to `Tracer' with terms cut
%% to `Budget' bytes; skipped starts are added to `Skipped' (a `counters'
%% reference, index 1).
-spec start(pid(), pid(), pos_integer(), counters:counters_ref()) -> pid().
start(Guard, Tracer, Budget, Skipped) ->
    Ready = make_ref(),
    Pid = spawn_opt(fun() -> init(Guard, Tracer, Budget, Skipped, Ready) end, [{priority, high}]),
    receive {Ready, Pid} -> Pid end.

%% @doc A new `max_term_bytes' for the captures from now on.
-spec set_budget(pid(), pos_integer()) -> ok.
set_budget(Watcher, Budget) ->
    Watcher ! {budget, Budget},
    ok.

%% @doc Stops watching; returns once the watcher has exited, so that every
%% `{elixirscope_agent_starts, captured, Pid}' it sent is in the guard's
%% mailbox.
-spec stop(pid()) -> ok.
stop(Watcher) ->
    Ref = monitor(process, Watcher),
    Watcher ! stop,
    receive
        {'DOWN', Ref, process, _, _} -> ok
    after 1000 ->
        exit(Watcher, kill),
        receive {'DOWN', Ref, process, _, _} -> ok end
    end.

init(Guard, Tracer, Budget, Skipped, Ready) ->
    %% A process of the agent's own: it is not part of what is recorded.
    _ = catch erlang:trace(self(), false, [all]),
    GuardRef = monitor(process, Guard),
    Backend = case elixirscope_agent_trace:session_api() of true -> session; false -> classic end,
    Watch = elixirscope_agent_trace:watch_starts(self(), Backend),
    Guard ! {Ready, self()},
    loop(#{guard => Guard, guard_ref => GuardRef, tracer => Tracer, budget => Budget,
           skipped => Skipped, watch => Watch, cache => #{}, window => {now_ms(), 0}}).

loop(#{guard := Guard, guard_ref := GuardRef, watch := Watch} = S) ->
    receive
        Start when element(1, Start) =:= trace_ts; element(1, Start) =:= trace ->
            {New, Cache} = elixirscope_agent_state:started(Start, maps:get(cache, S)),
            loop(capture(New, S#{cache := Cache}));
        {budget, Budget} ->
            loop(S#{budget := Budget});
        stop ->
            elixirscope_agent_trace:unwatch_starts(Watch);
        {'DOWN', GuardRef, process, Guard, _} ->
            elixirscope_agent_trace:unwatch_starts(Watch);
        _ ->
            loop(S)
    end.

capture(no, S) ->
    S;
capture(Pid, #{window := {T0, N}, skipped := Skipped} = S) ->
    Now = now_ms(),
    case Now - T0 < 1000 of
        true when N >= ?PER_SEC ->
            counters:add(Skipped, 1, 1),
            S;
        InWindow ->
            #{guard := Guard, tracer := Tracer, budget := Budget} = S,
            _ = elixirscope_agent_state:capture_started(Pid, Tracer, Budget, Guard),
            Guard ! {?MODULE, captured, Pid},
            S#{window := case InWindow of true -> {T0, N + 1}; false -> {Now, 1} end}
    end.

now_ms() -> erlang:monotonic_time(millisecond).
