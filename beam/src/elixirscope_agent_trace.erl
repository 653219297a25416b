%% @doc Sets and removes the VM's tracing for one session, and nothing else.
%%
%% This module is the only place that calls `erlang:trace/3',
%% `erlang:trace_pattern/3' or OTP 27's `trace' module. It turns a checked
%% plan into trace settings, remembers each one it made in an `applied()'
%% map, and undoes exactly those.
%%
%% == Patterns ==
%%
%% Function patterns are expanded to one pattern per function before they
%% are set (`{lists, '_', '_'}' becomes one pattern for each function of
%% `lists', minus the plan's exclusions). That costs about 15 microseconds
%% per function once, and in return every pattern can be checked, removed
%% or disabled on its own: load shedding can turn off one noisy function,
%% and cleanup can tell our patterns from other tools' patterns.
%%
%% Every match spec we set ends with a clause that can never be reached:
%%
%% ```
%% [{'_', [], Body}, {[elixirscope_agent_marker], [], []}]
%% '''
%%
%% The first clause matches every call, so the second costs nothing; it is
%% there so that `erlang:trace_info(MFA, match_spec)' shows whose pattern it
%% is. Cleanup removes a pattern only while it is still ours: if another
%% tool (dbg, recon) replaced it since, it is left alone. That is the limit
%% of what OTP 25 and 26 allow: a function has one pattern for the whole
%% node, so a tool that sets a pattern on a function we trace replaces ours,
%% and ours replaces theirs, which cleanup cannot bring back.
%%
%% == Process flags ==
%%
%% `processes => all' is set as every existing process with
%% `set_on_spawn', not as the default flags of new processes: a process
%% to come inherits the flags from the process that spawns it, so the
%% helpers the agent's own untraced processes spawn are never traced, not
%% even their spawn. The agent's processes are untraced as soon as the
%% flags are set (those registered under its names included).
%%
%% On OTP 25 and 26 a process has at most one tracer. Flags are removed
%% only from processes whose tracer is this session's tracer, found by
%% looking at every process (about a microsecond each), twice, so that a
%% process spawned by a traced one during the first pass is caught by the
%% second. The default flags for new processes are removed only while
%% their tracer is ours.
%%
%% == OTP 27 trace sessions ==
%%
%% When `trace:session_create/3' exists, the same settings are made in a
%% session of our own (`trace:process/4', `trace:function/4',
%% `trace:send/3'), which isolates them from every other tool, and cleanup
%% is `trace:session_destroy/1'. The VM also destroys a session whose
%% handle is garbage collected, so a session cannot outlive the processes
%% holding it. This branch is small on purpose: it cannot be tested on the
%% OTP 25 this project is developed with.
%%
%% == Watching behaviour processes start ==
%%
%% To capture the state of GenServers and gen_statems started while the
%% session records, {@link watch_starts/2} sets a `meta' trace pattern on
%% `gen_server:init_it/6' and `gen_statem:init_it/6', the functions a new
%% behaviour process runs first, before its `init/1'. A meta pattern has
%% its own tracer (`elixirscope_agent_starts') and needs no process flag:
%% every process that starts a behaviour sends it one call message,
%% whatever the plan's processes, and nothing is added to the recording's
%% events. The match
%% spec is the same marked, action-less one as for function patterns, so
%% cleanup and the sweep recognise it (`erlang:trace_info(MFA,
%% meta_match_spec)'). No return is traced: these functions end in the
%% behaviour's receive loop.
%%
%% A pattern can only be set on a loaded module. On a module not loaded
%% yet, `erlang:trace_pattern/3' sets nothing and returns 0, and nothing is
%% kept for when it loads. Under `mix' and `iex' code loads on first use,
%% and `gen_statem' is not loaded at boot: the first gen_statem to start
%% loads it, and a pattern set before that misses that start and every
%% later one. So {@link watch_starts/2} first loads both modules
%% (`code:ensure_loaded/1'):
%%
%% ```
%% 1> erlang:trace_pattern({gen_statem, init_it, 6}, true, [{meta, self()}]).
%% 0
%% 2> code:ensure_loaded(gen_statem).
%% {module,gen_statem}
%% 3> erlang:trace_pattern({gen_statem, init_it, 6}, true, [{meta, self()}]).
%% 1
%% '''
%%
%% On a live node that had not loaded it, this costs one call to the code
%% server and one module of OTP's stdlib, the one its first use would load
%% from the same code path (about 90 KB of code on OTP 25). None of its
%% code runs (it has no `on_load'), no process is touched, and it stays
%% loaded at the end: unloading a module that a process may have started
%% to use since is not ours to do. In embedded mode (releases) every
%% module is loaded at boot, and this loads nothing. Setting the pattern
%% as the module loads instead (the boot watcher hears of every load)
%% would miss the starts between the load and the pattern, and would not
%% work when attaching to a running node. A module loaded again (an
%% upgrade of stdlib while recording) loses the pattern, as any module
%% does; that is not handled.
%%
%% == Monitors ==
%%
%% The `procs' flag reports spawns, links, exits and names but no monitor.
%% When the plan records process events, {@link monitor_patterns/1} adds
%% call-trace patterns on the BIFs that make and remove process monitors:
%% `erlang:monitor/2,3' and `erlang:spawn_opt/4' with a `monitor' option
%% (what `spawn_monitor/1,3' and `proc_lib:start_monitor' call), whose
%% return gives the monitor's reference, and `erlang:demonitor/1,2'. The
%% `{message, '$_'}' action puts the call's arguments into the trace
%% message (`{trace_ts, Pid, call, MFA, Args, Ts}'), since the `arity' flag
%% leaves them out of the call itself. Return tracing of a BIF is safe: a
%% BIF cannot loop, so no frame stays on the stack. Monitors of ports and
%% of time offsets are not traced. The `'DOWN'' message is a received
%% message like any other.
%%
%% `gen:do_call/4' (every `gen_server:call') makes an alias monitor,
%% `erlang:monitor(process, P, [{alias, demonitor}])', and removes it when
%% the reply comes: the match spec leaves out monitor/3 calls with an
%% `alias' option (`{message, false}'), but it cannot tell which
%% references a demonitor removes, so each such call still costs one
%% demonitor event, which ElixirScope drops as it reads it.
%%
%% These patterns carry the marker like every other, so cleanup and the
%% sweep remove them the same way.
%%
%% == Callers ==
%%
%% When the plan asks for callers, every function pattern's match spec has
%% the `{message, {caller}}' action: the call event then carries the
%% function the call returns to, `{trace_ts, Pid, call, MFA, Caller, Ts}'
%% (`Caller' an `{M, F, A}' or `undefined'), which gives the call graph its
%% edges even for callers that are not traced and calls without return
%% tracing. After a tail call that is the caller's caller, as the VM sees
%% it. Finding it costs the traced process about 0.2 microseconds a call
%% (1.0 against 1.2 microseconds a traced call to a discarding tracer,
%% measured on OTP 25), so it is off unless asked for.
%%
%% == Messages of the agent's own ==
%%
%% When messages are recorded with state capture, a `send' pattern leaves
%% out the agent's own messages, pairs whose first element is
%% `{elixirscope_agent, _}' (the answers to the sys requests of the state
%% capture, the session handed to the boot watcher), and the state events
%% a captured process sends to the tracer; and a `receive' pattern leaves
%% out the sys requests themselves, `{system, {Pid, {elixirscope_agent, _}}, _}'
%% (`elixirscope_agent_state'). Both are marked like every other pattern.
%% The VM runs the receive pattern on every traced receive; its first
%% clause fails on the message's first element for all but system
%% messages.
%%
%% == The kill switch sweep ==
%%
%% {@link sweep/0} removes, without knowing any session, every pattern
%% carrying the marker clause above (in every loaded module, about two
%% microseconds per function), the marked `send' and `receive' patterns
%% (see "Messages of the agent's own" below), the marked meta
%% patterns (on `init_it/6', `application_master:init/4',
%% `erlang:finish_loading/1' and `erlang:trace/3'), and the flags of
%% processes whose tracer is dead or is one of ours. It is what
%% `elixirscope_agent:kill/0' does after stopping the sessions it can find.
-module(elixirscope_agent_trace).

-export([apply_plan/3, update/3, remove/1, disable/2, sweep/0, session_api/0, ms/2, conflict/3,
         agent_name/1,
         untrace_own/2, monitor_patterns/1, monitors/1,
         watch_starts/2, unwatch_starts/1, watch_loads/1, unwatch_loads/0]).

-export_type([applied/0, source/0]).

-type applied() :: #{tracer := pid(), backend := classic | session, session := term(),
                     procs := processes | new_processes | [pid() | {application, atom()}],
                     flags := [atom()],
                     patterns := #{mfa() => list()}, send_ms := list() | undefined,
                     recv_ms := list() | undefined, tracer_watch := pid() | undefined,
                     app_ms := list() | undefined,
                     skipped := [{pid() | atom(), binary()}]}.
-type source() :: mfa() | {messages, pid()} | {procs, pid()} | {state, pid()}.

-define(MARKER, {[elixirscope_agent_marker], [], []}).
-define(SESSION_NAME, elixirscope).
-define(START_FUNCTIONS, [{gen_server, init_it, 6}, {gen_statem, init_it, 6}]).
-define(APP_START, {application_master, init, 4}).
-define(LOAD, {erlang, finish_loading, 1}).
-define(TRACE_BIF, {erlang, trace, 3}).

%% @doc Whether OTP 27's trace sessions are available on this node.
-spec session_api() -> boolean().
session_api() ->
    _ = code:ensure_loaded(trace),
    erlang:function_exported(trace, session_create, 3).

%% @doc The match spec for a function: return tracing only when asked
%% for; with `Callers', the calling function in each call event (see
%% "Callers" above).
-spec ms(boolean(), boolean()) -> list().
ms(Return, Callers) ->
    Caller = [{message, {caller}} || Callers],
    Ret = [{exception_trace} || Return],
    [{'_', [], Caller ++ Ret}, ?MARKER].

%% @doc Sets the plan's patterns and process flags, with `Tracer' receiving
%% the events. `StateOn' says whether GenServer states are captured (see
%% `send_ms/3'). Returns what was set, for {@link update/3} and
%% {@link remove/1}.
-spec apply_plan(pid(), elixirscope_agent_plan:plan(), boolean()) -> applied().
apply_plan(Tracer, Plan, StateOn) ->
    Backend = case session_api() of true -> session; false -> classic end,
    Empty = #{tracer => Tracer, backend => Backend, session => new_session(Backend, Tracer),
              procs => [], flags => [], patterns => #{}, send_ms => undefined, recv_ms => undefined,
              app_ms => undefined, tracer_watch => watch_tracers(Backend),
              skipped => []},
    update(Empty, Plan, StateOn).

%% @doc Changes the tracing from what `Applied' set to what `Plan' asks
%% for, touching only the differences: patterns that stay are not set
%% again (unless their module was loaded again, which drops them), and
%% process flags are redone only when the flags or the processes change. A
%% plan that only adds functions (as modules load) costs the new patterns
%% and nothing else, and loses no events.
-spec update(applied(), elixirscope_agent_plan:plan(), boolean()) -> applied().
update(#{tracer := Tracer, session := S, patterns := OldPs, send_ms := OldSend, flags := OldFlags,
         procs := OldProcs, app_ms := OldAppMS} = A, Plan, StateOn) ->
    {Expanded, Unmatched} = expand(Plan),
    %% A function named twice gets return tracing if either pattern asks for
    %% it: the match spec without it sorts first, and from_list keeps the last.
    Ps = maps:merge(maps:from_list(lists:keysort(2, Expanded)), monitor_patterns(Plan)),
    maps:foreach(fun(MFA, MS) -> maps:get(MFA, Ps, none) =/= MS andalso unset_pattern(S, MFA, MS) end,
                 OldPs),
    maps:foreach(fun(MFA, MS) -> is_set(S, MFA, MS, OldPs) orelse set_pattern(S, MFA, MS) end, Ps),
    SendMS = send_ms(Plan, Tracer, StateOn),
    SendMS =/= OldSend andalso OldSend =/= undefined andalso unset_send(S, OldSend),
    SendMS =/= OldSend andalso SendMS =/= undefined andalso set_send(S, SendMS),
    OldRecv = maps:get(recv_ms, A, undefined),
    RecvMS = recv_ms(Plan, StateOn),
    RecvMS =/= OldRecv andalso OldRecv =/= undefined andalso unset_recv(S, OldRecv),
    RecvMS =/= OldRecv andalso RecvMS =/= undefined andalso set_recv(S, RecvMS),
    Flags = flags(Plan, Ps),
    {Procs, Skipped} = procs(maps:get(processes, Plan), Flags),
    %% Applications that start later: their application master is traced
    %% from its first call, before it starts anything.
    AppMS = app_ms(Procs, Flags, Tracer),
    AppMS =/= OldAppMS andalso OldAppMS =/= undefined andalso unset_app_ms(S, OldAppMS),
    AppMS =/= OldAppMS andalso AppMS =/= undefined andalso set_app_ms(S, Tracer, AppMS),
    case {Flags, Procs} =:= {OldFlags, OldProcs} of
        true -> ok;
        false ->
            OldFlags =/= [] andalso untrace(S, Tracer),
            Flags =/= [] andalso set_flags(S, Tracer, Procs, Flags)
    end,
    untrace_agent(S, Tracer),
    A#{procs := Procs, flags := Flags, patterns := Ps, send_ms := SendMS, recv_ms => RecvMS, app_ms := AppMS,
       skipped := maps:get(skipped, Plan, []) ++ Unmatched ++ Skipped}.

%% A pattern we set is still there unless its module was loaded again since
%% (new code has no patterns), or another tool replaced it.
is_set(undefined, MFA, MS, OldPs) ->
    maps:get(MFA, OldPs, none) =:= MS andalso erlang:trace_info(MFA, match_spec) =:= {match_spec, MS};
is_set(_, _, _, _) ->
    false.

new_session(classic, _) -> undefined;
new_session(session, Tracer) -> trace:session_create(?SESSION_NAME, Tracer, []).

%% One {MFA, MatchSpec} per function the plan names, exclusions removed,
%% and the patterns that matched no loaded function.
expand(#{functions := Fs, exclude := Ex} = Plan) ->
    Callers = maps:get(callers, Plan, false),
    Each = [{{M, F, A}, [{MFA, ms(Ret, Callers)} || MFA <- functions(M, F, A), not excluded(MFA, Ex)]}
            || #{module := M, function := F, arity := A, return := Ret} <- Fs],
    {lists:append([L || {_, L} <- Each]),
     [{P, <<"matches no loaded function">>} || {P, []} <- Each]}.

functions(M, F, A) ->
    _ = code:ensure_loaded(M),
    case erlang:module_loaded(M) of
        false -> [];
        true -> [{M, F1, A1} || {F1, A1} <- M:module_info(functions),
                                F =:= '_' orelse F =:= F1, A =:= '_' orelse A =:= A1,
                                not generated(F1)]
    end.

%% module_info/0,1 and the compiler's own helpers are not worth tracing.
generated(module_info) -> true;
generated(F) -> lists:prefix("-", atom_to_list(F)).

excluded({M, F, A}, Ex) ->
    lists:any(fun({XM, XF, XA}) -> XM =:= M andalso (XF =:= '_' orelse XF =:= F)
                                       andalso (XA =:= '_' orelse XA =:= A) end, Ex).

%% `arity' is a process flag, not a pattern option: arguments are left out
%% of call events only when no pattern of the plan wants them.
flags(Plan, Patterns) ->
    Calls = case map_size(Patterns) of 0 -> []; _ -> [call] end,
    Arity = case [x || #{args := true} <- maps:get(functions, Plan)] of
                [] when Calls =/= [] -> [arity];
                _ -> []
            end,
    Msgs = case maps:get(messages, Plan) of true -> [send, 'receive']; false -> [] end,
    Procs = case maps:get(process_events, Plan) of true -> [procs]; false -> [] end,
    case Calls ++ Arity ++ Msgs ++ Procs of
        [] -> [];
        Fs -> [monotonic_timestamp | Fs]
    end.

%% Chosen processes bring their future children along (set_on_spawn): work
%% handed to a spawned helper belongs to the story the user asked about.
procs(all, _) -> {processes, []};
procs(new, _) -> {new_processes, []};
procs(L, _) ->
    Found = [{X, resolve(X)} || X <- L],
    {[P || {_, P} <- Found, is_pid(P) orelse is_tuple(P)],
     [{X, Why} || {X, Why} <- Found, is_binary(Why)]}.

resolve(P) when is_pid(P) ->
    case is_process_alive(P) of true -> P; false -> <<"not alive">> end;
resolve({application, _} = App) ->
    App;
resolve(Name) ->
    case whereis(Name) of
        undefined -> <<"no process is registered under this name">>;
        P -> P
    end.

%% `processes' (every process, now and to come) is every existing process
%% with `set_on_spawn': the processes to come are spawned by a traced
%% process and inherit the flags, except those the agent's own (untraced)
%% processes spawn, its helpers, which are then never traced at all.
set_flags(undefined, Tracer, processes, Flags) ->
    erlang:trace(existing_processes, true, [{tracer, Tracer}, set_on_spawn | Flags]);
set_flags(undefined, Tracer, Procs, Flags) when is_atom(Procs) ->
    erlang:trace(Procs, true, [{tracer, Tracer} | Flags]);
set_flags(undefined, Tracer, Procs, Flags) ->
    [catch erlang:trace(P, true, [{tracer, Tracer}, set_on_spawn | Flags]) || P <- pids(Procs)];
set_flags(S, _, processes, Flags) ->
    trace:process(S, existing_processes, true, [set_on_spawn | Flags]);
set_flags(S, _, Procs, Flags) when is_atom(Procs) ->
    trace:process(S, Procs, true, Flags);
set_flags(S, _, Procs, Flags) ->
    [catch trace:process(S, P, true, [set_on_spawn | Flags]) || P <- pids(Procs)].

%% The processes of a list: its pids, and for `{application, App}' the
%% processes of App running now: its application master and the processes
%% whose group leader it is (what `application:get_application/1' reads).
pids(Procs) ->
    Masters = [M || {application, App} <- Procs, M <- [application_controller:get_master(App)],
                    is_pid(M)],
    Apps = case Masters of
               [] -> [];
               _ -> Masters ++ [P || P <- processes(),
                                     {group_leader, GL} <- [erlang:process_info(P, group_leader)],
                                     lists:member(GL, Masters)]
           end,
    lists:usort([P || P <- Procs, is_pid(P)] ++ Apps).

%% == Applications that start later ==
%%
%% The application controller starts an application by starting its
%% application master, which runs `application_master:init/4' with the
%% application's `appl_data' record (its name second) before it starts
%% anything, and is the group leader of every process of the application.
%% A meta pattern on that function whose match spec sets the plan's flags
%% on the calling process (the `trace' action, with `set_on_spawn') traces
%% the master synchronously, in the VM, before its first spawn: the whole
%% application then inherits the flags. `{message, false}' keeps the meta
%% pattern from sending anything. Nothing is done for other applications.
app_ms(Procs, Flags, Tracer) when is_list(Procs), Flags =/= [] ->
    case [App || {application, App} <- Procs] of
        [] -> undefined;
        Apps ->
            Enable = [set_on_spawn, {{tracer, Tracer}} | Flags],
            [{['_', '_', '$1', '_'], [{'==', {element, 2, '$1'}, App}],
              [{trace, [], Enable}, {message, false}]} || App <- lists:usort(Apps)] ++ [?MARKER]
    end;
app_ms(_, _, _) ->
    undefined.

set_app_ms(undefined, Tracer, MS) -> erlang:trace_pattern(?APP_START, MS, [{meta, Tracer}]);
set_app_ms(S, _, MS) -> trace:function(S, ?APP_START, MS, [meta]).

unset_app_ms(undefined, MS) ->
    case erlang:trace_info(?APP_START, meta_match_spec) of
        {meta_match_spec, MS} -> erlang:trace_pattern(?APP_START, false, [meta]);
        _ -> 0
    end;
unset_app_ms(S, _) ->
    trace:function(S, ?APP_START, false, [meta]).

%% @doc The patterns that record process monitors when the plan records
%% process events (see "Monitors" above); none otherwise.
-spec monitor_patterns(elixirscope_agent_plan:plan()) -> #{mfa() => list()}.
monitor_patterns(#{process_events := true}) ->
    Made = [{message, '$_'}, {return_trace}],
    Args = [{'_', [], [{message, '$_'}]}, ?MARKER],
    #{{erlang, monitor, 2} => [{[process, '_'], [], Made}, ?MARKER],
      {erlang, monitor, 3} => [{[process, '_', [{alias, '_'} | '_']], [], [{message, false}]},
                               {[process, '_', ['_', {alias, '_'} | '_']], [], [{message, false}]},
                               {[process, '_', '_'], [], Made}, ?MARKER],
      {erlang, spawn_opt, 4} => [{['_', '_', '_', Opts], [], Made}
                                 || Opts <- [[monitor | '_'], ['_', monitor | '_'], ['_', '_', monitor | '_'],
                                             [{monitor, '_'} | '_'], ['_', {monitor, '_'} | '_']]] ++ [?MARKER],
      {erlang, demonitor, 1} => Args,
      {erlang, demonitor, 2} => Args};
monitor_patterns(_) ->
    #{}.

%% @doc The process monitors that the processes `Tracer' traces held when
%% it began, as `[{Watcher, Target}]' with `Target' a pid or
%% `{Name, Node}' (a monitor by name). The VM does not tell a monitor's
%% reference, so these cannot be told apart from one another: a later
%% `demonitor' of one of them is not recognised. A process waiting in
%% `gen:do_call/4' or an IO request is left out, since one of its
%% monitors is that call's, and which one cannot be told. Costs about a
%% microsecond per process; only the classic backend is looked at.
-spec monitors(pid()) -> [{pid(), pid() | {atom(), node()}}].
monitors(Tracer) ->
    Transient = [{gen, do_call, 4}, {io, execute_request, 3}],
    [{P, T} || P <- processes(), traced_by(P, fun(X) -> X =:= Tracer end),
               [{current_function, F}, {monitors, Ms}] <- [erlang:process_info(P, [current_function, monitors])],
               not lists:member(F, Transient), {process, T} <- Ms].

%% @doc Takes `Pid', one of the agent's own processes, out of the tracing
%% `Applied' set (which gives every process its flags, the agent's too).
-spec untrace_own(applied(), pid()) -> ok.
untrace_own(#{session := undefined}, Pid) ->
    _ = catch erlang:trace(Pid, false, [all]),
    ok;
untrace_own(#{session := S}, Pid) ->
    _ = catch trace:process(S, Pid, false, [all]),
    ok.

%% The tracer, the guard calling this and the processes registered under
%% the agent's names (the boot watcher, the dependency's `elixirscope_app'
%% and its connection attempt) are never traced, nor, through
%% `set_on_spawn', the processes they spawn.
untrace_agent(undefined, Tracer) ->
    [catch erlang:trace(P, false, [all]) || P <- [self(), Tracer | named_agent_processes()]];
untrace_agent(S, Tracer) ->
    [catch trace:process(S, P, false, [all]) || P <- [self(), Tracer | named_agent_processes()]].

named_agent_processes() ->
    [P || N <- registered(), agent_name(N), P <- [whereis(N)], is_pid(P)].

%% @doc Whether a registered name is one of the agent's own processes'
%% (the session's, the boot watcher's, the dependency's `elixirscope_app').
-spec agent_name(atom()) -> boolean().
agent_name(elixirscope_app) -> true;
agent_name(N) -> lists:prefix("elixirscope_agent", atom_to_list(N)).

set_pattern(undefined, MFA, MS) -> erlang:trace_pattern(MFA, MS, [local]);
set_pattern(S, MFA, MS) -> trace:function(S, MFA, MS, [local]).

%% A GenServer whose state is captured sends its state changes to the
%% tracer; when that process's messages are traced too, each of those sends
%% would be a second, larger event. The send pattern skips them, and the
%% agent's own messages, tagged `{elixirscope_agent, _}' as the first
%% element of a pair: the answers to its sys requests
%% (`elixirscope_agent_state') and the session handed to the boot watcher;
%% and the requests to the session (`elixirscope_agent:stop/1', ...).
%% Without state capture there is no send pattern, which would cost every
%% traced send: the few messages of the boot watcher and the session's
%% stop request are then recorded.
send_ms(#{messages := true}, Tracer, true) ->
    [{[Tracer, '_'], [], [{message, false}]},
     {['_', {{elixirscope_agent, '_'}, '_'}], [], [{message, false}]},
     {['_', {elixirscope_agent, '_', '_', '_'}], [], [{message, false}]}, {'_', [], []}, ?MARKER];
send_ms(_, _, _) ->
    undefined.

%% The sys requests of the state capture, `{system, {Pid,
%% {elixirscope_agent, Ref}}, Request}', are not the observed process's
%% messages. The match spec is run on every traced receive: its first
%% clause fails on the message's first element for all but system
%% messages.
recv_ms(#{messages := true}, true) ->
    [{['_', '_', {system, {'_', {elixirscope_agent, '_'}}, '_'}], [], [{message, false}]}, {'_', [], []}, ?MARKER];
recv_ms(_, _) ->
    undefined.

set_recv(undefined, MS) -> erlang:trace_pattern('receive', MS, []);
set_recv(S, MS) -> trace:recv(S, MS, []).

unset_recv(undefined, RecvMS) ->
    unset_recv_if(fun(MS) -> MS =:= RecvMS end);
unset_recv(S, _) ->
    trace:recv(S, true, []).

unset_recv_if(Ours) ->
    case erlang:trace_info('receive', match_spec) of
        {match_spec, MS} when is_list(MS) ->
            Ours(MS) andalso erlang:trace_pattern('receive', true, []);
        _ -> false
    end.

set_send(undefined, MS) -> erlang:trace_pattern(send, MS, []);
set_send(S, MS) -> trace:send(S, MS, []).

%% == Other tracers ==
%%
%% On OTP 25 and 26 a process has one tracer: while this session traces a
%% process, another tool's `erlang:trace/3' on it with a tracer of its own
%% fails (`badarg' for one process; for all processes the VM skips ours
%% and logs "can only have one tracer per process"), and code that traces
%% (a test of a tracing tool, say) fails under the recorder. So that the
%% recording says why, the guard, which calls `apply_plan/3', is the meta
%% tracer of `erlang:trace/3' calls that turn flags on, its own excepted
%% (one message a call: nothing for code that does not trace), and tells
%% the tracer of each {@link conflict/3}. The pattern is marked, and
%% removed with the rest. Not on OTP 27, whose trace sessions do not
%% conflict.
watch_tracers(session) ->
    undefined;
watch_tracers(classic) ->
    Guard = self(),
    erlang:trace_pattern(?TRACE_BIF, [{['_', true, '_'], [{'=/=', {self}, Guard}], []}, ?MARKER],
                         [{meta, Guard}]),
    Guard.

%% @doc Whether a call `erlang:trace(Spec, true, Flags)' (heard of by the
%% guard, see "Other tracers" above) asked for processes that the
%% session's tracer holds, for a tracer other than it.
-spec conflict(applied(), term(), term()) -> boolean().
conflict(#{tracer := Tracer, flags := Fs}, Spec, Flags) when Fs =/= [], is_list(Flags) ->
    not lists:member({tracer, Tracer}, Flags) andalso takes(Spec, Tracer);
conflict(_, _, _) ->
    false.

takes(Spec, _) when Spec =:= all; Spec =:= processes; Spec =:= existing; Spec =:= existing_processes;
                    Spec =:= new; Spec =:= new_processes ->
    true;
takes(P, Tracer) when is_pid(P) ->
    traced_by(P, fun(T) -> T =:= Tracer end);
takes(Name, Tracer) when is_atom(Name) ->
    case whereis(Name) of
        P when is_pid(P) -> takes(P, Tracer);
        _ -> false
    end;
takes(_, _) ->
    false.

%% @doc Removes everything `apply_plan/3' and `update/3' set that is still
%% ours.
-spec remove(applied()) -> ok.
remove(#{backend := session, session := S}) ->
    catch trace:session_destroy(S),
    ok;
remove(#{tracer := Tracer, patterns := Patterns, send_ms := SendMS, flags := Flags} = A) ->
    AppMS = maps:get(app_ms, A, undefined),
    AppMS =/= undefined andalso unset_app_ms(undefined, AppMS),
    Flags =/= [] andalso untrace(undefined, Tracer),
    maps:foreach(fun(MFA, MS) -> unset_pattern(undefined, MFA, MS) end, Patterns),
    SendMS =/= undefined andalso unset_send(undefined, SendMS),
    RecvMS = maps:get(recv_ms, A, undefined),
    RecvMS =/= undefined andalso unset_recv(undefined, RecvMS),
    Watch = maps:get(tracer_watch, A, undefined),
    Watch =/= undefined andalso unset_marked_meta(?TRACE_BIF, Watch),
    ok.

unset_pattern(undefined, MFA, MS) ->
    case erlang:trace_info(MFA, match_spec) of
        {match_spec, MS} -> erlang:trace_pattern(MFA, false, [local]);
        _ -> 0
    end;
unset_pattern(S, MFA, _) ->
    trace:function(S, MFA, false, [local]).

unset_send(undefined, SendMS) ->
    unset_send_if(fun(MS) -> MS =:= SendMS end);
unset_send(S, _) ->
    trace:send(S, true, []).

unset_send_if(Ours) ->
    case erlang:trace_info(send, match_spec) of
        {match_spec, MS} when is_list(MS) ->
            Ours(MS) andalso erlang:trace_pattern(send, true, []);
        _ -> false
    end.

%% Flags off for the processes this tracer traces: the default for new
%% processes first, then every process, twice (a process spawned by a traced
%% one during the first pass inherited the flags).
untrace(undefined, Tracer) ->
    Ours = fun(T) -> T =:= Tracer end,
    untrace_new(Ours),
    untrace_processes(Ours),
    untrace_processes(Ours);
untrace(S, _) ->
    [catch trace:process(S, What, false, [all]) || What <- [new_processes, processes]],
    ok.

untrace_new(Ours) ->
    case erlang:trace_info(new_processes, tracer) of
        {tracer, T} when is_pid(T) ->
            Ours(T) andalso erlang:trace(new_processes, false, [all]);
        _ -> false
    end.

untrace_processes(Ours) ->
    [catch erlang:trace(P, false, [all]) || P <- processes(), traced_by(P, Ours)],
    ok.

traced_by(P, Ours) ->
    case erlang:trace_info(P, tracer) of
        {tracer, T} when is_pid(T) -> Ours(T);
        _ -> false
    end.

%% @doc Turns off one source of events while the session goes on: a
%% function's pattern, a process's message or process-event tracing.
%% Returns whether the source was on. State capture sources are the
%% caller's business (`elixirscope_agent_state').
-spec disable(applied(), source()) -> {boolean(), applied()}.
disable(#{patterns := Ps, session := S} = A, {_, _, _} = MFA) when is_map_key(MFA, Ps) ->
    unset_pattern(S, MFA, maps:get(MFA, Ps)),
    {true, A#{patterns := maps:remove(MFA, Ps)}};
disable(#{session := S, tracer := T} = A, {What, Pid}) when What =:= messages; What =:= procs ->
    Flags = case What of messages -> [send, 'receive']; procs -> [procs] end,
    On = case S of
             undefined ->
                 traced_by(Pid, fun(X) -> X =:= T end) andalso
                     (catch erlang:trace(Pid, false, Flags)) =:= 1;
             _ ->
                 (catch trace:process(S, Pid, false, Flags)) =:= 1
         end,
    {On, A};
disable(A, _) ->
    {false, A}.

%% @doc Loads `gen_server' and `gen_statem' if they are not loaded, then
%% sets the meta patterns that tell `Watcher' of every gen_server and
%% gen_statem starting (see "Watching behaviour processes start" above).
%% Returns the handle {@link unwatch_starts/1} takes.
-spec watch_starts(pid(), classic | session) -> term().
watch_starts(Watcher, Backend) ->
    [code:ensure_loaded(M) || {M, _, _} <- ?START_FUNCTIONS],
    set_start_patterns(Watcher, Backend).

set_start_patterns(Watcher, classic) ->
    [erlang:trace_pattern(MFA, ms(false, false), [{meta, Watcher}]) || MFA <- ?START_FUNCTIONS],
    {classic, Watcher};
set_start_patterns(Watcher, session) ->
    %% A session's meta messages go to the session's tracer: a second,
    %% small session whose tracer is the watcher.
    S = trace:session_create(elixirscope_starts, Watcher, []),
    [trace:function(S, MFA, ms(false, false), [meta]) || MFA <- ?START_FUNCTIONS],
    S.

%% @doc Removes the meta patterns {@link watch_starts/2} set, while they
%% are still this watcher's (a later session's are left alone).
-spec unwatch_starts(term()) -> ok.
unwatch_starts({classic, Watcher}) ->
    [unset_marked_meta(MFA, Watcher) || MFA <- ?START_FUNCTIONS],
    ok;
unwatch_starts(S) ->
    catch trace:session_destroy(S),
    ok.

%% @doc Sets a meta pattern that sends `Watcher' one message each time
%% code has been loaded: `erlang:finish_loading/1' is the BIF that every
%% way of loading a module ends in (the code server's loads,
%% `code:load_binary/3', `erlang:load_module/2'). The message is the BIF's
%% `return_from', sent once the module is loaded (the call itself sends
%% nothing: `{message, false}'); a BIF returns, so its return tracing keeps
%% no frame. The boot watcher (`elixirscope_agent_boot') looks at the
%% loaded modules only after such a message.
-spec watch_loads(pid()) -> ok.
watch_loads(Watcher) ->
    erlang:trace_pattern(?LOAD, [{'_', [], [{return_trace}, {message, false}]}, ?MARKER], [{meta, Watcher}]),
    ok.

%% @doc Removes the pattern of {@link watch_loads/1} while it is ours.
-spec unwatch_loads() -> ok.
unwatch_loads() ->
    unset_marked_meta(?LOAD, self()),
    ok.

%% A marked meta pattern, removed when its meta tracer is `Watcher' or
%% dead, or whoever it is (`any', the sweep).
unset_marked_meta(MFA, Watcher) ->
    Mine = case erlang:trace_info(MFA, meta) of
               {meta, Watcher} -> true;
               {meta, T} when is_pid(T) -> Watcher =:= any orelse not is_process_alive(T);
               _ -> Watcher =:= any
           end,
    case erlang:trace_info(MFA, meta_match_spec) of
        {meta_match_spec, MS} when is_list(MS), Mine ->
            lists:member(?MARKER, MS) andalso erlang:trace_pattern(MFA, false, [meta]);
        _ -> false
    end.

%% @doc The kill switch's safety net: removes our marked patterns from every
%% loaded module and the flags of every process traced by a dead process or
%% by one of ours. Returns how many patterns it removed.
-spec sweep() -> non_neg_integer().
sweep() ->
    Ours = fun(T) -> not is_process_alive(T) orelse agent_process(T) end,
    untrace_new(Ours),
    untrace_processes(Ours),
    unset_send_if(fun(MS) -> lists:member(?MARKER, MS) end),
    unset_recv_if(fun(MS) -> lists:member(?MARKER, MS) end),
    [unset_marked_meta(MFA, any) || MFA <- [?APP_START, ?LOAD, ?TRACE_BIF | ?START_FUNCTIONS]],
    length([x || {M, _} <- code:all_loaded(), {F, A} <- module_functions(M),
                 marked({M, F, A}) andalso erlang:trace_pattern({M, F, A}, false, [local]) > 0]).

module_functions(M) ->
    try M:module_info(functions) catch _:_ -> [] end.

marked(MFA) ->
    case erlang:trace_info(MFA, match_spec) of
        {match_spec, MS} when is_list(MS) -> lists:member(?MARKER, MS);
        _ -> false
    end.

agent_process(P) ->
    case erlang:process_info(P, registered_name) of
        {registered_name, Name} -> agent_name(Name);
        _ -> false
    end.
