%% @doc Checks a recording plan and fills in the default limits.
%%
%% The TypeScript planner resolves what the user asked for into a plan map;
%% the agent checks it again here because a plan can also be typed by hand
%% in a shell, and because a wrong plan on a production node is expensive.
%% A plan that is not exactly understood is refused as a whole, with the
%% field and a sentence saying what was expected and what was given:
%%
%% ```
%% 1> elixirscope_agent_plan:check(#{functions => [#{module => lists}]}).
%% {error,{bad_plan,{functions,1},
%%         <<"a function pattern needs module, function, arity, args and return; missing: function, arity, args, return">>}}
%% '''
%%
%% Some plans are refused on purpose, because they would hurt the node
%% rather than describe a mistake:
%%
%% <ul>
%% <li>a pattern on every module (`module => '_''), which would trace the
%%     whole VM, the agent included;</li>
%% <li>a pattern on the agent's own modules, which would trace the tracer;</li>
%% <li>return tracing on every function of a module (`function => '_'' with
%%     `return => true'): a module's receive loop would be among them, and
%%     return tracing a tail-recursive loop grows its stack without bound
%%     (see {@link elixirscope_agent});</li>
%% <li>a plan that records nothing.</li>
%% </ul>
%%
%% Missing top-level fields take safe values (no messages, no process
%% events, no state, every process for the functions named), and missing
%% limits take the defaults of {@link default_limits/0}.
%%
%% `callers' puts the calling function into every call event (see
%% `elixirscope_agent_trace').
%%
%% `process_events' records spawns, links, exits and registered names (the
%% `procs' trace flag) and process monitors (call-trace patterns on the
%% monitor BIFs, see `elixirscope_agent_trace').
%%
%% `skipped' (`[{What, Why}]', `Why' a sentence) is what the planner left
%% out of the plan on purpose, such as return tracing it refused on a loop
%% (`{{return, MFA}, Why}', from `elixirscope_agent_boot'): it sets
%% nothing, and is reported in `applied.skipped' with what the agent
%% itself skipped, so that the recording says what it lacks and why.
-module(elixirscope_agent_plan).

-export([check/1, check_config/1, default_limits/0]).

-export_type([plan/0, limits/0]).

-type plan() :: #{functions := [map()], exclude := [{module(), atom(), arity() | '_'}],
                  processes := all | new | [pid() | atom() | {application, atom()}],
                  messages := boolean(), callers := boolean(),
                  process_events := boolean(), state := none | all | [pid() | atom()],
                  skipped := [{term(), binary()}], limits := limits()}.
-type limits() :: #{atom() => non_neg_integer() | infinity}.

-define(FIELDS, [functions, exclude, processes, messages, callers, process_events, state, skipped, limits]).
-define(PATTERN_KEYS, [module, function, arity, args, return]).

%% @doc The limits a plan gets for every limit it leaves out. This is the
%% one definition on the node's side; ElixirScope's own defaults
%% (`DEFAULT_AGENT_LIMITS' in `src/capture/plan-term.ts') are the same
%% values, and a test checks that they stay so.
%%
%% <ul>
%% <li>`max_events_per_sec' 2000000: beyond it, one event in 100 is kept
%%     (a sample of the flood) and the others are dropped;</li>
%% <li>`max_queue' 200000 messages waiting in the tracer's mailbox;</li>
%% <li>`max_memory_bytes' 256 MiB for the tracer process, mailbox
%%     included;</li>
%% <li>`max_term_bytes' 4096 bytes for any one term inside an event;</li>
%% <li>`max_events' and `max_duration_ms' `infinity': the session runs
%%     until it is stopped (the collector closing its connection stops it
%%     too);</li>
%% <li>`batch_size' 500 events and `batch_ms' 20: a batch is sent when it
%%     is full or when it is that old.</li>
%% </ul>
-spec default_limits() -> limits().
default_limits() ->
    #{max_events_per_sec => 2000000, max_queue => 200000, max_memory_bytes => 256 * 1024 * 1024,
      max_term_bytes => 4096, max_events => infinity, max_duration_ms => infinity,
      batch_size => 500, batch_ms => 20}.

%% @doc Checks the whole `start/1' configuration: the collector address, the
%% token and the plan.
-spec check_config(term()) ->
    {ok, {inet:hostname() | inet:ip_address(), inet:port_number()}, binary(), plan()}
    | {error, term()}.
check_config(#{collector := {Host, Port}, token := Token, plan := Plan})
  when is_integer(Port), Port > 0, Port < 65536, is_binary(Token) ->
    case is_host(Host) of
        false -> {error, {bad_config, collector, <<"the collector host must be a string or an IP address tuple">>}};
        true ->
            case check(Plan) of
                {ok, P} -> {ok, {Host, Port}, Token, P};
                Error -> Error
            end
    end;
check_config(_) ->
    {error, {bad_config, config,
             <<"expected #{collector => {Host, Port}, token => Binary, plan => Map}">>}}.

is_host(H) when is_list(H) -> io_lib:printable_list(H);
is_host(H) when is_tuple(H) -> inet:is_ip_address(H);
is_host(_) -> false.

%% @doc The plan with its defaults filled in, or the first thing wrong with it.
-spec check(term()) -> {ok, plan()} | {error, {bad_plan, term(), binary()}}.
check(Plan) when is_map(Plan) ->
    try
        [bad(K, "unknown plan field; the fields are " ++ join(?FIELDS)) || K <- maps:keys(Plan),
                                                                           not lists:member(K, ?FIELDS)],
        P = #{functions => patterns(maps:get(functions, Plan, [])),
              exclude => excludes(maps:get(exclude, Plan, [])),
              processes => who(processes, maps:get(processes, Plan, all), [all, new]),
              messages => bool(messages, maps:get(messages, Plan, false)),
              callers => bool(callers, maps:get(callers, Plan, false)),
              process_events => bool(process_events, maps:get(process_events, Plan, false)),
              state => who(state, maps:get(state, Plan, none), [none, all]),
              skipped => skipped(maps:get(skipped, Plan, [])),
              limits => limits(maps:get(limits, Plan, #{}))},
        records_something(P),
        {ok, P}
    catch
        throw:{bad_plan, _, _} = Why -> {error, Why}
    end;
check(Other) ->
    {error, {bad_plan, plan, text("expected a map, got ~0tP", [Other, 8])}}.

patterns(L) when is_list(L) ->
    [pattern(I, P) || {I, P} <- lists:zip(lists:seq(1, length(L)), L)];
patterns(Other) ->
    bad(functions, "expected a list of function patterns, got ~0tP", [Other, 8]).

pattern(I, P) when is_map(P) ->
    Field = {functions, I},
    case [atom_to_list(K) || K <- ?PATTERN_KEYS, not is_map_key(K, P)] of
        [] -> ok;
        Missing ->
            bad(Field, "a function pattern needs module, function, arity, args and return; missing: "
                ++ lists:join(", ", Missing))
    end,
    [bad(Field, "unknown key ~0tp in a function pattern", [K]) || K <- maps:keys(P),
                                                                 not lists:member(K, ?PATTERN_KEYS)],
    #{module := M, function := F, arity := A, args := Args, return := Ret} = P,
    module(Field, M),
    is_atom(F) orelse bad(Field, "function must be an atom or '_', got ~0tP", [F, 8]),
    A =:= '_' orelse (is_integer(A) andalso A >= 0 andalso A =< 255)
        orelse bad(Field, "arity must be 0..255 or '_', got ~0tP", [A, 8]),
    bool(Field, Args),
    bool(Field, Ret),
    (Ret andalso F =:= '_') andalso
        bad(Field, "return tracing on every function of ~0tp is refused: a receive loop among them would "
            "grow its stack without bound; name the functions whose returns you want", [M]),
    P;
pattern(I, Other) ->
    bad({functions, I}, "expected a map, got ~0tP", [Other, 8]).

module(Field, '_') ->
    bad(Field, "a pattern on every module is refused: it would trace the whole VM, this agent included; "
        "name the modules");
module(Field, M) when is_atom(M) ->
    case lists:prefix("elixirscope_agent", atom_to_list(M)) of
        true -> bad(Field, "the agent's own modules cannot be traced: the tracer would trace itself");
        false -> ok
    end;
module(Field, M) ->
    bad(Field, "module must be an atom, got ~0tP", [M, 8]).

excludes(L) when is_list(L) ->
    [case X of
         {M, F, A} when is_atom(M), is_atom(F), (is_integer(A) orelse A =:= '_') -> X;
         _ -> bad(exclude, "expected {Module, Function | '_', Arity | '_'}, got ~0tP", [X, 8])
     end || X <- L];
excludes(Other) ->
    bad(exclude, "expected a list of {Module, Function, Arity}, got ~0tP", [Other, 8]).

who(Field, Word, Words) when is_atom(Word) ->
    lists:member(Word, Words) orelse
        bad(Field, "expected ~ts or a list of pids and registered names, got ~0tp", [join(Words), Word]),
    Word;
who(Field, L, _) when is_list(L) ->
    [bad(Field, "expected a pid, a registered name~ts, got ~0tP",
         [case Field of processes -> " or {application, App}"; _ -> "" end, X, 8])
     || X <- L, not (is_pid(X) orelse is_atom(X) orelse (Field =:= processes andalso is_app(X)))],
    [bad(Field, "~0tp is a process on another node; the agent records only its own node", [X])
     || X <- L, is_pid(X), node(X) =/= node()],
    L;
who(Field, Other, Words) ->
    bad(Field, "expected ~ts or a list of pids and registered names, got ~0tP", [join(Words), Other, 8]).

skipped(L) when is_list(L) ->
    [bad(skipped, "expected {What, Why} with Why a binary, got ~0tP", [X, 8])
     || X <- L, not (is_tuple(X) andalso tuple_size(X) =:= 2 andalso is_binary(element(2, X)))],
    L;
skipped(Other) ->
    bad(skipped, "expected a list of {What, Why}, got ~0tP", [Other, 8]).

is_app({application, App}) -> is_atom(App);
is_app(_) -> false.

bool(_, B) when is_boolean(B) -> B;
bool(Field, Other) -> bad(Field, "expected true or false, got ~0tP", [Other, 8]).

limits(L) when is_map(L) ->
    Defaults = default_limits(),
    maps:map(fun(K, _) when not is_map_key(K, Defaults) ->
                     bad({limits, K}, "unknown limit; the limits are " ++ join(maps:keys(Defaults)));
                (K, V) -> limit(K, V)
             end, L),
    maps:merge(Defaults, L);
limits(Other) ->
    bad(limits, "expected a map, got ~0tP", [Other, 8]).

limit(K, infinity) when K =:= max_events; K =:= max_duration_ms -> infinity;
limit(K, V) when is_integer(V), V > 0 ->
    case {K, V} of
        {batch_size, _} when V > 100000 -> bad({limits, K}, "at most 100000 events per batch, got ~p", [V]);
        {batch_ms, _} when V > 60000 -> bad({limits, K}, "at most 60000 ms between batches, got ~p", [V]);
        {max_term_bytes, _} when V < 64 -> bad({limits, K}, "at least 64 bytes, got ~p", [V]);
        _ -> V
    end;
limit(K, V) ->
    bad({limits, K}, "expected a positive integer~ts, got ~0tP",
        [case K of max_events -> " or infinity"; max_duration_ms -> " or infinity"; _ -> "" end, V, 8]).

records_something(#{functions := [], messages := false, process_events := false, state := none}) ->
    bad(plan, "the plan records nothing: give functions, messages, process_events or state");
records_something(_) ->
    ok.

join(Atoms) -> lists:join(", ", [atom_to_list(A) || A <- Atoms]).

text(Format, Args) -> unicode:characters_to_binary(io_lib:format(Format, Args)).

-spec bad(term(), iodata()) -> no_return().
bad(Field, Why) -> throw({bad_plan, Field, unicode:characters_to_binary(Why)}).

-spec bad(term(), io:format(), [term()]) -> no_return().
bad(Field, Format, Args) -> throw({bad_plan, Field, text(Format, Args)}).
