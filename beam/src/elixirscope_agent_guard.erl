%% @doc The process that sets a session's tracing and always takes it away.
%%
%% Each session has two processes. The tracer pumps events and may be
%% overloaded, killed or stuck in a send; the guard is small, idle and runs
%% at high priority, and it is the only one that changes the VM's tracing:
%%
%% ```
%%   elixirscope_agent:start/1
%%            │
%%            ▼            apply / disable / finish
%%        tracer ───────────────────────────────────▶ guard
%%     (events, socket)  ◀── monitor ───  monitor ──▶ (what was set)
%% '''
%%
%% The guard applies a plan (state snapshots and debug functions first, then
%% patterns and process flags) and keeps the record of everything it set. A
%% new plan changes only what differs (`elixirscope_agent_trace:update/3'):
%% processes whose state stays captured keep their debug function, patterns
%% that stay are not set again.
%%
%% With `state => all' the guard also starts `elixirscope_agent_starts',
%% which captures the state of each gen_server and gen_statem as it starts
%% and tells the guard. Every captured process is monitored, so the record
%% holds only live processes.
%%
%% The guard also hears of other tools' `erlang:trace/3' calls that ask
%% for processes the session traces, which a process's one tracer makes
%% fail on OTP 25 and 26, and has the tracer report them
%% (`elixirscope_agent_trace', "Other tracers").
%%
%% When the tracer asks it to finish, and also when it sees the tracer die
%% for any reason, it removes all of it and exits. The tracer keeps a copy of
%% the record and cleans up by itself if the guard dies first. Removal takes
%% well under a second: at most about half a second for debug functions of
%% processes that do not answer, plus a few microseconds per pattern and per
%% process.
-module(elixirscope_agent_guard).

-export([start/1, apply_plan/3, disable_async/2, finish/1, finish/2, cleanup/1, summary/1]).

-export_type([applied/0]).

-type applied() :: #{tracer := pid(), trace := elixirscope_agent_trace:applied() | none,
                     state := [pid()], state_skipped := [{pid() | atom(), binary()}],
                     state_spec := none | all | [pid() | atom()], budget := non_neg_integer(),
                     starts := none | {watching, pid()}, starts_skipped := counters:counters_ref(),
                     monitors := #{pid() => reference()}}.

-define(NAME, elixirscope_agent_guard).
-define(CALL_TIMEOUT, 15000).
-define(MAX_CONFLICTS, 10).

%% @doc Starts the guard of `Tracer' (not linked to the caller).
-spec start(pid()) -> pid().
start(Tracer) ->
    spawn_opt(fun() -> init(Tracer) end, [{priority, high}]).

%% @doc Replaces whatever tracing the session had with `Plan'.
-spec apply_plan(pid(), elixirscope_agent_plan:plan(), pos_integer()) -> {ok, applied()} | {error, term()}.
apply_plan(Guard, Plan, Budget) -> call(Guard, {apply, Plan, Budget}).

%% @doc Turns off one source of events (load shedding) without waiting:
%% the answer comes later as a message `{Ref, Reply}', with the `Ref'
%% returned here; `Reply' is `{ok, WasOn, Applied}' or `{error, Why}'.
%% The tracer goes on recording (or dropping) meanwhile.
-spec disable_async(pid(), elixirscope_agent_trace:source()) -> reference().
disable_async(Guard, Source) ->
    Ref = make_ref(),
    Guard ! {?MODULE, self(), Ref, {disable, Source}},
    Ref.

%% @doc Removes all of the session's tracing; the guard then exits.
-spec finish(pid()) -> ok | {error, term()}.
finish(Guard) -> call(Guard, finish).

%% @doc {@link finish/1} waiting at most `Timeout' milliseconds.
-spec finish(pid(), timeout()) -> ok | {error, term()}.
finish(Guard, Timeout) -> call(Guard, finish, Timeout).

call(Guard, Request) ->
    call(Guard, Request, ?CALL_TIMEOUT).

call(Guard, Request, Timeout) ->
    Ref = monitor(process, Guard),
    Guard ! {?MODULE, self(), Ref, Request},
    receive
        {Ref, Reply} -> demonitor(Ref, [flush]), Reply;
        {'DOWN', Ref, process, _, Why} -> {error, {guard_down, Why}}
    after Timeout ->
        demonitor(Ref, [flush]),
        {error, guard_timeout}
    end.

init(Tracer) ->
    catch register(?NAME, self()),
    loop(Tracer, monitor(process, Tracer), empty(Tracer)).

empty(Tracer) ->
    #{tracer => Tracer, trace => none, state => [], state_skipped => [], state_spec => none, budget => 0,
      starts => none, starts_skipped => counters:new(1, []), monitors => #{}}.

loop(Tracer, MRef, Applied) ->
    receive
        {?MODULE, From, Ref, Request} ->
            case handle(Request, Tracer, Applied) of
                {stop, Reply} ->
                    From ! {Ref, Reply};
                {Reply, Applied2} ->
                    From ! {Ref, Reply},
                    loop(Tracer, MRef, Applied2)
            end;
        {'DOWN', MRef, process, Tracer, _} ->
            cleanup(Applied),
            catch unregister(?NAME);
        {'DOWN', _, process, Pid, _} ->
            loop(Tracer, MRef, forget(Pid, Applied));
        {elixirscope_agent_starts, captured, Pid} ->
            loop(Tracer, MRef, watched([Pid], Applied));
        {Tag, Caller, call, {erlang, trace, [Spec, true, Flags]}, _} when Tag =:= trace; Tag =:= trace_ts ->
            other_tracer(Tracer, Caller, Spec, Flags, Applied),
            loop(Tracer, MRef, Applied);
        _ ->
            loop(Tracer, MRef, Applied)
    end.

%% Another tool asked for processes this session traces (see "Other
%% tracers" in `elixirscope_agent_trace'): the tracer reports it, at most
%% ?MAX_CONFLICTS times a session.
other_tracer(Tracer, Caller, Spec, Flags, #{trace := T}) when T =/= none ->
    N = case get(conflicts) of undefined -> 0; C -> C end,
    N < ?MAX_CONFLICTS andalso elixirscope_agent_trace:conflict(T, Spec, Flags) andalso
        begin put(conflicts, N + 1), Tracer ! {?MODULE, tracer_conflict, Caller, Spec} end;
other_tracer(_, _, _, _, _) ->
    false.

%% Captured processes are monitored: the record keeps only live ones.
watched(Pids, #{state := Ps, monitors := Ms} = A) ->
    New = [P || P <- Pids, not is_map_key(P, Ms)],
    A#{state := New ++ Ps, monitors := maps:merge(Ms, maps:from_list([{P, monitor(process, P)} || P <- New]))}.

forget(Pid, #{state := Ps, monitors := Ms} = A) when is_map_key(Pid, Ms) ->
    A#{state := lists:delete(Pid, Ps), monitors := maps:remove(Pid, Ms)};
forget(_, A) ->
    A.

unwatched(Pids, #{monitors := Ms} = A) ->
    [demonitor(maps:get(P, Ms), [flush]) || P <- Pids, is_map_key(P, Ms)],
    A#{monitors := maps:without(Pids, Ms)}.

handle({apply, Plan, Budget}, Tracer, Applied) ->
    %% Applying a plan can take a while (microseconds a pattern, thousands
    %% of patterns): at normal priority it never holds up the watcher of
    %% starts or the node's own high-priority processes. Cleanup, which
    %% must not wait, runs at high priority.
    process_flag(priority, normal),
    try apply_plan(Plan, Budget, Tracer, Applied)
    after process_flag(priority, high)
    end;
handle({disable, {state, Pid}}, Tracer, #{state := Ps} = A) ->
    elixirscope_agent_state:remove([Pid], Tracer),
    New = (unwatched([Pid], A))#{state := Ps -- [Pid]},
    {{ok, lists:member(Pid, Ps), New}, New};
handle({disable, Source}, _, #{trace := T} = A) when T =/= none ->
    {On, T2} = elixirscope_agent_trace:disable(T, Source),
    New = A#{trace := T2},
    {{ok, On, New}, New};
handle({disable, _}, _, A) ->
    {{ok, false, A}, A};
handle(finish, _, Applied) ->
    cleanup(Applied),
    catch unregister(?NAME),
    {stop, ok}.

apply_plan(Plan, Budget, Tracer, Applied) ->
    %% Starts are watched before the running processes are looked at, so
    %% that none starting in between is missed.
    State = states(maps:get(state, Plan), Budget, Tracer,
                   starts(maps:get(state, Plan), Tracer, Budget, Applied)),
    try trace(Tracer, Plan, maps:get(state, Plan) =/= none, maps:get(trace, Applied)) of
        Trace ->
            %% The watcher of starts is the agent's own: not part of what is recorded.
            _ = [elixirscope_agent_trace:untrace_own(Trace, W) || {watching, W} <- [maps:get(starts, State)]],
            {{ok, State#{trace := Trace}}, State#{trace := Trace}}
    catch Class:Why:Stack ->
        %% A half-applied plan: we do not know what was set, so the kill
        %% switch's sweep finds our marked patterns and flags.
        cleanup(State),
        elixirscope_agent_trace:sweep(),
        {{error, {apply_failed, Class, Why, hd(Stack ++ [none])}}, empty(Tracer)}
    end.

trace(Tracer, Plan, StateOn, none) -> elixirscope_agent_trace:apply_plan(Tracer, Plan, StateOn);
trace(_, Plan, StateOn, Trace) -> elixirscope_agent_trace:update(Trace, Plan, StateOn).

%% The captured states for a new plan: processes that stay captured keep
%% their debug function (no new snapshot); the others are released, and the
%% new ones snapshotted and captured. A new max_term_bytes recaptures all.
states(Spec, Budget, _, #{state_spec := Spec, budget := Budget} = A) ->
    A;
states(Spec, Budget, Tracer, #{state := Old, budget := Budget0} = A) ->
    {Targets, NotFound} = elixirscope_agent_state:targets(Spec),
    Kept = case Budget =:= Budget0 of
               true -> [P || P <- Old, lists:member(P, Targets)];
               false -> []
           end,
    elixirscope_agent_state:remove(Old -- Kept, Tracer),
    {New, Skipped} = elixirscope_agent_state:capture(Targets -- Kept, Tracer, Budget),
    A1 = unwatched(Old -- Kept, A#{state := Kept}),
    watched(New, A1#{state_skipped := NotFound ++ Skipped, state_spec := Spec, budget := Budget}).

%% The watcher of behaviour processes starting: on while the plan's state
%% is `all'.
starts(all, Tracer, Budget, #{starts := none, starts_skipped := Skipped} = A) ->
    A#{starts := {watching, elixirscope_agent_starts:start(self(), Tracer, Budget, Skipped)}};
starts(all, _, Budget, #{starts := {watching, W}} = A) ->
    elixirscope_agent_starts:set_budget(W, Budget),
    A;
starts(_, _, _, #{starts := {watching, W}} = A) ->
    elixirscope_agent_starts:stop(W),
    watched(reported(), A#{starts := none});
starts(_, _, _, A) ->
    A.

%% The captures the watcher reported that the guard has not read yet.
reported() ->
    receive
        {elixirscope_agent_starts, captured, Pid} -> [Pid | reported()]
    after 0 ->
        []
    end.

%% @doc Removes everything in `Applied'. Safe to call more than once and
%% from any process (in the guard, it also removes what the watcher of
%% starts captured and the guard had not heard of yet).
-spec cleanup(applied()) -> ok.
cleanup(#{tracer := Tracer, trace := T, state := Ps} = A) ->
    Late = case maps:get(starts, A, none) of
               {watching, W} -> elixirscope_agent_starts:stop(W), reported();
               none -> []
           end,
    T =/= none andalso elixirscope_agent_trace:remove(T),
    elixirscope_agent_state:remove(Late ++ Ps, Tracer).

%% @doc What was applied, in the form the hello frame reports it.
-spec summary(applied()) -> map().
summary(#{trace := none} = A) ->
    #{state => maps:get(state, A), skipped => maps:get(state_skipped, A)};
summary(#{trace := T, state := Ps, state_skipped := SS} = A) ->
    #{backend => maps:get(backend, T), functions => lists:sort(maps:keys(maps:get(patterns, T))),
      processes => maps:get(procs, T), flags => maps:get(flags, T), state => Ps,
      skipped => maps:get(skipped, T) ++ SS, state_starts_skipped => counters:get(maps:get(starts_skipped, A), 1)}.
