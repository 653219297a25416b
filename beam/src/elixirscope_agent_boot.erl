%% @doc Starts a recording as the VM boots, and keeps its function list
%% up to date as modules load.
%%
%% `elixirscope record -- mix test' runs the command with two environment
%% variables that every `erl', `elixir', `iex' and `mix' reads:
%%
%% ```
%% ERL_AFLAGS="-pa <elixirscope>/beam/ebin -s elixirscope_agent_boot start"
%% ELIXIRSCOPE_BOOT=/tmp/elixirscope-XXXX/boot.etf
%% '''
%%
%% The file holds `term_to_binary(Config)', the configuration of
%% `elixirscope_agent:start/1' plus the user's selection of modules
%% (`elixirscope_agent_select'). `start/0' runs before the application's
%% own code, so the recording sees it from its first call.
%%
%% == Modules that load later ==
%%
%% Under `mix' and `iex', code loads lazily: a module is loaded on its
%% first call, and a trace pattern can only be set on a loaded module. So a
%% watcher looks every few milliseconds. When one of the selected
%% applications is loaded (`application:load/1', which Mix does before it
%% starts the application), the watcher loads all of its modules at once
%% and adds them to the plan, before the application's first process runs.
%% Other selected modules are added when they appear in `erlang:loaded()'.
%%
%% Looking costs time in proportion to the modules loaded and traced (a
%% traced module loaded again has lost its patterns: found by its md5 when
%% it was compiled again, by the trace settings of one of its functions
%% when the same code was loaded again), so the watcher only looks after
%% code was loaded: a meta pattern on `erlang:finish_loading/1', where
%% every module load ends (`elixirscope_agent_trace:watch_loads/1'), sends
%% it a message once each load is done. Between loads, a look every 10 ms
%% is one check of the number of loaded applications. The pattern is
%% removed when the watcher ends, with the session; the kill switch's
%% sweep removes it too.
%%
%% Return tracing that the selection refuses (a function that can call
%% itself in tail position, `elixirscope_agent_select') goes into the
%% plan's `skipped' as `{{return, MFA}, Why}': the session reports it in
%% `applied.skipped', in the hello and in each `plan_applied' frame.
%%
%% == The end of the command ==
%%
%% `erlang:halt/1' ends the VM at once, with events still waiting in the
%% tracer. On Elixir commands the watcher registers a `System.at_exit/1'
%% callback that stops the session (sending what is left) before Elixir
%% halts; a plain `erl' command ending in `halt()' can lose its last
%% milliseconds of events.
-module(elixirscope_agent_boot).

-export([start/0, start/1, replan/2]).

-define(POLL_MS, 10).
-define(AT_EXIT_WAIT_MS, 60000).
-define(SESSION_TAG, {elixirscope_agent, session}).

%% @doc Reads `ELIXIRSCOPE_BOOT' and starts the recording it describes.
%% Does nothing when the variable is not set. Never fails the boot: a
%% problem is printed and the command runs unrecorded.
-spec start() -> ok.
start() ->
    case os:getenv("ELIXIRSCOPE_BOOT") of
        false -> ok;
        File ->
            %% A VM that this one starts must not record into the same session.
            os:unsetenv("ELIXIRSCOPE_BOOT"),
            case file:read_file(File) of
                {ok, Bin} ->
                    case start(binary_to_term(Bin)) of
                        {ok, _} -> ok;
                        {error, Reason} -> warn("could not start recording: ~p", [Reason])
                    end;
                {error, Why} ->
                    warn("cannot read its configuration ~ts: ~p", [File, Why])
            end
    end.

%% @doc Starts a session from `Config' (`elixirscope_agent:start/1''s map
%% with a `selection' added) and the watcher that maintains its functions.
%% `elixirscope attach' calls this over distribution.
-spec start(map()) -> {ok, pid()} | {error, term()}.
start(#{selection := Selection0, plan := Plan} = Config) ->
    Selection = preload(maps:get(preload, Config, []), Selection0),
    load_available(Selection),
    Modules = selected_modules(Selection, #{}),
    {Specs, Refused} = elixirscope_agent_select:functions(Selection, element(1, Modules)),
    Skipped = skipped(Refused),
    %% The agent's own processes are not part of what is recorded: spawned
    %% and named before the tracing is set, they are never traced (the
    %% agent untraces the processes under its names), and the session is
    %% handed to them in a message tagged as the agent's, which the send
    %% pattern leaves out.
    Companions = [companion(elixirscope_agent_at_exit, fun stop_at_exit/1),
                  companion(elixirscope_agent_watcher,
                            fun(Session) -> watch(Session, Selection, Plan, Modules, {Specs, Skipped}) end)],
    Result = elixirscope_agent:start(maps:without([selection, preload],
                                                  Config#{plan := Plan#{functions => Specs, skipped => Skipped}})),
    Session = case Result of
                  {ok, S} -> S;
                  {error, _} -> none
              end,
    _ = [C ! {?SESSION_TAG, Session} || C <- Companions],
    Result.

%% A process of the agent's own, registered as `Name', that runs `Run' with
%% the session once it has started.
companion(Name, Run) ->
    Pid = spawn(fun() ->
                        receive
                            {?SESSION_TAG, none} -> ok;
                            {?SESSION_TAG, Session} -> untraced(), Run(Session)
                        end
                end),
    _ = catch register(Name, Pid),
    Pid.

%% Loads the modules compiled into `Dirs' (the project's own `ebin'
%% folders, which `elixirscope record' finds under `_build') and adds them
%% to the selection, so that their patterns are set before Mix has even
%% started: `mix run' loads and starts an application in one step, leaving
%% the watcher no time. A module Mix recompiles and loads again later loses
%% its patterns; the watcher sets them again on its next look.
preload(Dirs, Selection) ->
    Apps = maps:get(applications, Selection, []),
    Mods = lists:append([preload_dir(D, Apps) || D <- Dirs]),
    Exact = [{{exact, atom_to_binary(M)}, any, any} || M <- Mods],
    Selection#{include => maps:get(include, Selection, []) ++ Exact}.

%% Loads a folder's modules; returns them when they belong to one of the
%% selected applications (its `.app' file says which), so that a plan that
%% names other modules does not trace the whole project.
preload_dir(Dir, Apps) ->
    case filelib:is_dir(Dir) of
        false -> [];
        true ->
            _ = code:add_patha(Dir),
            Mods = [list_to_atom(filename:basename(F, ".beam")) || F <- filelib:wildcard(filename:join(Dir, "*.beam"))],
            _ = code:ensure_modules_loaded(Mods),
            DirApps = [list_to_atom(filename:basename(F, ".app")) || F <- filelib:wildcard(filename:join(Dir, "*.app"))],
            case lists:any(fun(A) -> lists:member(A, Apps) end, DirApps) of
                true -> Mods;
                false -> []
            end
    end.

%% Loads the selected modules that are on the code path but not loaded yet:
%% on a running node, code loads on first call, and a call made before the
%% watcher sees its module would be missed.
load_available(Selection) ->
    Available = [list_to_atom(Name) || {Name, _, false} <- code:all_available()],
    _ = code:ensure_modules_loaded(elixirscope_agent_select:matching_modules(Selection, Available)),
    ok.

%% The selected modules loaded now, with the applications already handled.
selected_modules(Selection, DoneApps) ->
    Loaded = [A || {A, _, _} <- application:loaded_applications()],
    NewApps = [A || A <- maps:get(applications, Selection, []), lists:member(A, Loaded),
                    not is_map_key(A, DoneApps)],
    _ = [elixirscope_agent_select:application_modules(Selection#{applications => [A]}) || A <- NewApps],
    Done = maps:merge(DoneApps, maps:from_keys(NewApps, true)),
    {lists:usort(elixirscope_agent_select:matching_modules(Selection, erlang:loaded())), Done}.

%% The watcher's state: what it has applied, and what it last saw.
-record(watch, {session, selection, plan,
                modules = [], apps = #{}, specs = [], skipped = [], probes = #{},
                module_count = 0, app_count = 0}).

watch(Session, Selection, Plan, {Mods, Apps}, {Specs, Skipped}) ->
    elixirscope_agent_trace:watch_loads(self()),
    try
        watch(#watch{session = Session, selection = Selection, plan = Plan, modules = Mods, apps = Apps,
                     specs = Specs, skipped = Skipped, probes = probes(Specs), module_count = length(erlang:loaded()),
                     app_count = length(application:loaded_applications())},
              false, deadline())
    after
        elixirscope_agent_trace:unwatch_loads()
    end.

deadline() -> erlang:monotonic_time(millisecond) + ?POLL_MS.

%% Looks again when code was loaded since the last look (`Loaded'), or
%% when an application has been loaded.
watch(#watch{session = Session} = W, Loaded, Deadline) ->
    receive
        {trace_ts, _, return_from, {erlang, finish_loading, 1}, _, _} ->
            watch(W, true, Deadline);
        {replan, From, Ref, Selection, Plan} ->
            load_available(Selection),
            W1 = W#watch{selection = Selection, plan = Plan, modules = none, module_count = -1},
            {_, W2} = look_at_modules(W1),
            From ! {Ref, update(W2)},
            watch(W2, false, Deadline)
    after max(0, Deadline - erlang:monotonic_time(millisecond)) ->
            case is_process_alive(Session) of
                false -> ok;
                true ->
                    AppsNow = length(application:loaded_applications()),
                    case Loaded orelse AppsNow =/= W#watch.app_count of
                        false -> watch(W, false, deadline());
                        true ->
                            {Changed, W1} = look_at_modules(W),
                            Changed andalso update(W1),
                            watch(W1, false, deadline())
                    end
            end
    end.

%% @doc Replaces the running session's selection and plan while it records
%% (`elixirscope attach' does this when its plan file changes). Only what
%% differs is changed: patterns that stay are not set again.
-spec replan(map(), map()) -> ok | {error, term()}.
replan(Selection, Plan) ->
    case whereis(elixirscope_agent_watcher) of
        undefined -> {error, not_recording};
        Watcher ->
            Ref = monitor(process, Watcher),
            Watcher ! {replan, self(), Ref, Selection, Plan},
            receive
                {Ref, Reply} -> demonitor(Ref, [flush]), Reply;
                {'DOWN', Ref, process, _, _} -> {error, not_recording}
            after 30000 -> demonitor(Ref, [flush]), {error, timeout}
            end
    end.

look_at_modules(#watch{selection = Selection} = W) ->
    Now = length(erlang:loaded()),
    AppsNow = length(application:loaded_applications()),
    Lost = lost_patterns(W#watch.probes),
    case Now =:= W#watch.module_count andalso AppsNow =:= W#watch.app_count andalso not Lost of
        true -> {false, W};
        false ->
            {Mods, Apps} = selected_modules(Selection, W#watch.apps),
            W1 = W#watch{apps = Apps, module_count = Now, app_count = AppsNow},
            case Mods =/= W#watch.modules orelse Lost of
                false -> {false, W1};
                true ->
                    {Specs, Refused} = elixirscope_agent_select:functions(Selection, Mods),
                    {true, W1#watch{modules = Mods, specs = Specs, skipped = skipped(Refused),
                                    probes = probes(Specs)}}
            end
    end.

update(#watch{session = Session, plan = Plan, specs = Specs, skipped = Skipped}) ->
    elixirscope_agent:update_plan(Session, Plan#{functions => Specs, skipped => Skipped}).

%% The return tracing the selection refused (a loop), as the plan's
%% `skipped' items, which the agent reports in `applied.skipped' (the
%% hello and each `plan_applied' frame), so that the recording says so.
skipped(Refused) ->
    [{{return, MFA}, Why} || {MFA, Why} <- Refused].

%% For each traced module, its code version and one of its traced
%% functions: a module compiled and loaded again has a new md5, and a
%% module loaded again from the same code has the same md5 but no patterns.
probes(Specs) ->
    maps:from_list([{M, {md5(M), {M, F, A}}} || #{module := M, function := F, arity := A} <- lists:reverse(Specs)]).

lost_patterns(Probes) ->
    lists:any(fun({M, {Md5, MFA}}) -> md5(M) =/= Md5 orelse erlang:trace_info(MFA, traced) =:= {traced, false} end,
              maps:to_list(Probes)).

md5(M) ->
    try M:module_info(md5) catch error:undef -> none end.

%% The agent's own processes (this module's watcher and the one that stops the session at exit) are not
%% part of what is recorded: untraced again, in case their name was taken.
untraced() ->
    _ = catch erlang:trace(self(), false, [all]),
    ok.

%% Elixir halts the VM right after its at_exit callbacks: stop the session
%% there, so that the last events are sent. Waits for Elixir to start.
stop_at_exit(Session) ->
    stop_at_exit(Session, ?AT_EXIT_WAIT_MS div 10).

stop_at_exit(_, 0) -> ok;
stop_at_exit(Session, Tries) ->
    case lists:keymember(elixir, 1, application:which_applications()) of
        true -> 'Elixir.System':at_exit(fun(_) -> catch elixirscope_agent:stop(Session) end);
        false ->
            timer:sleep(10),
            stop_at_exit(Session, Tries - 1)
    end.

warn(Format, Args) ->
    io:format(standard_error, "elixirscope: " ++ Format ++ "~n", Args).
