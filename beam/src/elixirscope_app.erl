%% @doc The `elixirscope' application: records the application that depends
%% on it, from its configuration.
%%
%% This is the third way to start a recording, after
%% `elixirscope record -- <command>' and `elixirscope attach': the project
%% adds ElixirScope as a dependency, configures where the collector
%% listens, and every run of the project (`mix run', `iex -S mix',
%% `mix phx.server', ...) connects to `elixirscope listen' when one is
%% waiting.
%%
%% ```
%% # mix.exs
%% {:elixirscope, path: "path/to/elixirscope/beam", only: :dev}
%%
%% # config/dev.exs
%% config :elixirscope,
%%   collector: {"127.0.0.1", 4949},
%%   token: "dev-secret",
%%   applications: [:my_app]
%% '''
%%
%% == Configuration ==
%%
%% <ul>
%% <li>`collector' `{Host, Port}': where `elixirscope listen' waits. Host
%%     is a string or an IP address tuple. Without it the application does
%%     nothing at all.</li>
%% <li>`token': the secret given to `elixirscope listen --token' (a string).
%%     Required with `collector'.</li>
%% <li>`applications': the applications whose modules are traced. Default:
%%     the loaded applications that list `elixirscope' among their
%%     dependencies, that is, the project that added it.</li>
%% <li>`retry_seconds': how long to keep trying while no collector listens
%%     (default 300), or `infinity'.</li>
%% <li>`plan', `selection': maps merged over {@link default_plan/0} and
%%     {@link default_selection/1}, in the formats of
%%     `elixirscope_agent_plan' and `elixirscope_agent_select', for
%%     recordings that need other limits or modules.</li>
%% </ul>
%%
%% The default plan is the one `elixirscope record' uses: every call of
%% the applications' modules, the returns of their OTP callbacks other
%% than GenServers', messages, process events and the state of every
%% GenServer and gen_statem.
%%
%% == Connecting ==
%%
%% The application's process tries the collector once as it starts,
%% waiting at most two seconds for the answer, so that a collector already
%% listening sees the project's application from its first call (the
%% dependency starts before the application that depends on it). While
%% no collector listens it tries again every second in the background,
%% until `retry_seconds' have passed. It logs one line when it connects and
%% one when it gives up. A collector that refuses the node (a wrong
%% token: the agent's `start/1' returns only once the collector has
%% accepted its hello) is logged with what to do, and not tried again. A failure never stops the application or the
%% project's start. When a recording ends (the collector stopped), it
%% waits for the next collector in the same way.
%%
%% The session is stopped, sending its last events, when the application
%% stops, and when Elixir halts the VM (`elixirscope_agent_boot').
%%
%% == Supervision ==
%%
%% The application's one process is a `gen_server' registered as
%% `elixirscope_app': the connection attempts run in short-lived monitored
%% processes, so nothing can crash it, and it needs no supervisor of its
%% own.
-module(elixirscope_app).

-behaviour(application).
-behaviour(gen_server).

-export([start/2, stop/1]).
-export([default_plan/0, default_selection/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-define(RETRY_MS, 1000).
-define(FIRST_WAIT_MS, 2000).
-define(DEFAULT_RETRY_SECONDS, 300).
-define(STOP_WAIT_MS, 10000).
%% A session shorter than this ended at once (its collector stopped right
%% away): the next attempt is quiet.
-define(REFUSED_MS, 2000).

-type config() :: #{collector := {inet:hostname() | inet:ip_address(), inet:port_number()},
                    token := binary(), applications := [atom()] | dependents,
                    retry_ms := non_neg_integer() | infinity, plan := map(), selection := map()}.

-record(st, {config :: config() | none,
             deadline = infinity :: integer() | infinity,
             attempt :: reference() | undefined,
             timer :: reference() | undefined,
             session :: pid() | undefined,
             session_ref :: reference() | undefined,
             started_at = 0 :: integer(),
             logged = false :: boolean()}).

%% --- application ---------------------------------------------------------

%% @doc Starts the application's process, which starts the recording when
%% `collector' is configured. Never fails on a configuration or connection
%% problem: it logs it and records nothing.
-spec start(application:start_type(), term()) -> {ok, pid()} | {error, term()}.
start(_Type, _Args) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, application:get_all_env(elixirscope), []).

%% @doc Nothing to do: the process has already stopped the session.
-spec stop(term()) -> ok.
stop(_State) ->
    ok.

%% --- defaults --------------------------------------------------------------

%% @doc The agent plan of `elixirscope record''s default plan: no fixed
%% functions (the selection chooses them), every process, messages (no
%% callers), process events, every state, and the agent's default limits
%% (`elixirscope_agent_plan:default_limits/0').
-spec default_plan() -> map().
default_plan() ->
    #{functions => [], exclude => [], processes => all, messages => true, callers => false,
      process_events => true, state => all, limits => elixirscope_agent_plan:default_limits()}.

%% @doc The selection of `elixirscope record''s default plan: every module
%% of `Applications', with the returns of their OTP callbacks except
%% GenServers' (their states and replies come from the `sys' capture).
-spec default_selection([atom()]) -> map().
default_selection(Applications) ->
    #{include => [], exclude => [], applications => Applications, functions => [],
      args => false, callback_returns => [gen_statem, supervisor, application]}.

%% --- gen_server ------------------------------------------------------------

%% @private
-spec init([{atom(), term()}]) -> {ok, #st{}}.
init(Env) ->
    process_flag(trap_exit, true),
    case proplists:is_defined(collector, Env) of
        false -> {ok, #st{config = none}};
        true ->
            case config(Env) of
                {ok, Config} ->
                    S = attempt(#st{config = Config, deadline = deadline(Config)}),
                    {ok, first_result(S)};
                {error, Why} ->
                    logger:warning("elixirscope: not recording: ~ts", [Why]),
                    {ok, #st{config = none}}
            end
    end.

%% @private
-spec handle_call(term(), gen_server:from(), #st{}) -> {reply, {error, unknown_call}, #st{}}.
handle_call(_Request, _From, S) ->
    {reply, {error, unknown_call}, S}.

%% @private
-spec handle_cast(term(), #st{}) -> {noreply, #st{}}.
handle_cast(_Request, S) ->
    {noreply, S}.

%% @private
-spec handle_info(term(), #st{}) -> {noreply, #st{}}.
handle_info(retry, #st{config = Config} = S) when Config =/= none ->
    {noreply, attempt(S#st{timer = undefined})};
handle_info({'DOWN', Ref, process, _, Reason}, #st{attempt = Ref} = S) ->
    {noreply, result(Reason, S#st{attempt = undefined})};
handle_info({'DOWN', Ref, process, _, _}, #st{session_ref = Ref, config = Config} = S0) ->
    S = S0#st{session = undefined, session_ref = undefined},
    case now_ms() - S#st.started_at < ?REFUSED_MS of
        %% Ended at once: try again quietly, within the same time.
        true -> {noreply, retry(S)};
        %% The recording ended: be ready for the next `elixirscope listen'.
        false -> {noreply, retry(S#st{deadline = deadline(Config), logged = false})}
    end;
handle_info(_Other, S) ->
    {noreply, S}.

%% @private
%% Stops the session, sending its last events; an attempt still under way
%% may be about to start one, so its answer is awaited first.
-spec terminate(term(), #st{}) -> ok.
terminate(_Reason, #st{attempt = Ref} = S) when is_reference(Ref) ->
    receive
        {'DOWN', Ref, process, _, Reason} ->
            terminate(normal, session_of(Reason, S#st{attempt = undefined}))
    after ?STOP_WAIT_MS -> ok
    end;
terminate(_Reason, #st{session = Session}) when is_pid(Session) ->
    _ = catch elixirscope_agent:stop(Session),
    ok;
terminate(_Reason, _S) ->
    ok.

%% --- connecting ------------------------------------------------------------

%% Starts one connection attempt in a monitored process, whose exit reason
%% is `{attempt, Result}'. The session it starts is not linked to it.
attempt(#st{config = Config} = S) ->
    {_, Ref} = spawn_monitor(fun() ->
                                     %% Named as the agent's: the session it starts does not trace it.
                                     _ = catch register(elixirscope_agent_attempt, self()),
                                     exit({attempt, start_session(Config)})
                             end),
    S#st{attempt = Ref}.

start_session(#{collector := Collector, token := Token, plan := Plan, selection := Selection,
                applications := Apps0}) ->
    Apps = case Apps0 of
               dependents -> dependents();
               _ -> Apps0
           end,
    %% A loaded application has its module list: the selection covers
    %% its modules before its first process runs.
    _ = [application:load(A) || A <- Apps],
    Config = #{collector => Collector, token => Token,
               plan => maps:merge(default_plan(), Plan),
               selection => maps:merge(default_selection(Apps), Selection)},
    {elixirscope_agent_boot:start(Config), maps:get(applications, maps:get(selection, Config))}.

%% The loaded applications that depend on this one.
dependents() ->
    [A || {A, _, _} <- application:loaded_applications(),
          {ok, Deps} <- [application:get_key(A, applications)],
          lists:member(elixirscope, Deps)].

%% Waits a little for the first attempt, so that a collector already
%% listening records the project's application from its start.
first_result(#st{attempt = Ref} = S) ->
    receive
        {'DOWN', Ref, process, _, Reason} -> result(Reason, S#st{attempt = undefined})
    after ?FIRST_WAIT_MS -> S
    end.

result({attempt, {{ok, Session}, Apps}}, #st{config = #{collector := {Host, Port}}} = S) ->
    S#st.logged orelse logger:notice("elixirscope: connected to the collector at ~ts:~p, recording ~ts",
                                      [host_text(Host), Port, applications_text(Apps)]),
    S#st{session = Session, session_ref = monitor(process, Session), started_at = now_ms(),
         logged = true};
result({attempt, {{error, {collector_unreachable, _}}, _}}, S) ->
    retry(S);
%% A collector that closed without a word may have taken another node:
%% wait for the next one.
result({attempt, {{error, {collector_closed, _}}, _}}, S) ->
    retry(S);
%% Trying again would be refused again, and each try would be reported
%% by `elixirscope listen'.
result({attempt, {{error, {collector_refused, Why}}, _}}, #st{config = #{collector := {Host, Port}}} = S) ->
    logger:warning("elixirscope: the collector at ~ts:~p refused this node (~ts); not recording. "
                   "Set config :elixirscope, token: to the token given to elixirscope listen --token, "
                   "then restart the application",
                   [host_text(Host), Port, Why]),
    S;
result({attempt, {{error, Why}, _}}, S) ->
    logger:warning("elixirscope: could not start recording: ~0tp", [Why]),
    S;
result(Crash, S) ->
    logger:warning("elixirscope: could not start recording: ~0tp", [Crash]),
    S.

session_of({attempt, {{ok, Session}, _}}, S) -> S#st{session = Session};
session_of(_, S) -> S.

retry(#st{deadline = Deadline, config = #{collector := {Host, Port}} = Config} = S) ->
    case Deadline =/= infinity andalso now_ms() >= Deadline of
        true ->
            logger:warning("elixirscope: no collector at ~ts:~p accepted this node for ~ts; not recording "
                           "(check the token; restart the application to try again)",
                           [host_text(Host), Port, duration_text(maps:get(retry_ms, Config))]),
            S;
        false ->
            S#st{timer = erlang:send_after(?RETRY_MS, self(), retry)}
    end.

deadline(#{retry_ms := infinity}) -> infinity;
deadline(#{retry_ms := Ms}) -> now_ms() + Ms.

now_ms() -> erlang:monotonic_time(millisecond).

%% --- configuration ---------------------------------------------------------

-spec config([{atom(), term()}]) -> {ok, config()} | {error, iodata()}.
config(Env) ->
    try
        {ok, #{collector => collector(proplists:get_value(collector, Env)),
               token => token(proplists:get_value(token, Env)),
               applications => applications(proplists:get_value(applications, Env, dependents)),
               retry_ms => retry_ms(proplists:get_value(retry_seconds, Env, ?DEFAULT_RETRY_SECONDS)),
               plan => map_value(plan, proplists:get_value(plan, Env, #{})),
               selection => map_value(selection, proplists:get_value(selection, Env, #{}))}}
    catch
        throw:{config, Why} -> {error, Why}
    end.

collector({Host, Port}) when is_integer(Port), Port > 0, Port < 65536 ->
    {host(Host), Port};
collector(Other) ->
    bad("collector must be {Host, Port}, like {\"127.0.0.1\", 4949}; got ~0tp", [Other]).

host(H) when is_binary(H) -> unicode:characters_to_list(H);
host(H) when is_list(H) -> H;
host(H) when is_tuple(H) -> H;
host(H) -> bad("the collector host must be a string or an IP address tuple, got ~0tp", [H]).

token(T) when is_binary(T), T =/= <<>> -> T;
token([_ | _] = T) -> unicode:characters_to_binary(T);
token(undefined) -> bad("token is required with collector: the one given to elixirscope listen --token", []);
token(T) -> bad("token must be a string, got ~0tp", [T]).

applications(dependents) -> dependents;
applications(L) when is_list(L) ->
    [bad("applications must be a list of application names, got ~0tp", [L]) || A <- L, not is_atom(A)],
    L;
applications(Other) -> bad("applications must be a list of application names, got ~0tp", [Other]).

retry_ms(infinity) -> infinity;
retry_ms(N) when is_integer(N), N >= 0 -> N * 1000;
retry_ms(Other) -> bad("retry_seconds must be a number of seconds or :infinity, got ~0tp", [Other]).

map_value(_, M) when is_map(M) -> M;
map_value(Key, Other) -> bad("~ts must be a map, got ~0tp", [Key, Other]).

-spec bad(io:format(), [term()]) -> no_return().
bad(Format, Args) -> throw({config, io_lib:format(Format, Args)}).

%% --- text ------------------------------------------------------------------

host_text(H) when is_tuple(H) -> inet:ntoa(H);
host_text(H) -> H.

applications_text([]) -> "no application (configure applications)";
applications_text(Apps) -> lists:join(", ", [atom_to_list(A) || A <- Apps]).

duration_text(infinity) -> "ever";
duration_text(Ms) -> integer_to_list(Ms div 1000) ++ " s".
