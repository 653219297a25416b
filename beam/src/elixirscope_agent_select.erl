%% @doc Chooses the functions to trace from what the user asked for.
%%
%% A user names modules loosely: "my application", "everything under
%% `MyApp.Bank'", "`MyApp.Bank.transfer/3' with its return value". This
%% module turns such a selection into the exact function list the agent
%% traces (`elixirscope_agent_plan'), for the modules loaded now, and again
%% for each module loaded later.
%%
%% ```
%% Selection = #{include => [Pattern],          % modules or functions to trace
%%               exclude => [Pattern],
%%               applications => [atom()],      % every module of these apps
%%               functions => [#{pattern => Pattern, args => boolean(), return => boolean()}],
%%               args => boolean(),             % arguments of every traced call
%%               callback_returns => boolean() | [Behaviour]} % returns of OTP behaviour callbacks
%% Behaviour = gen_server | gen_statem | supervisor | application
%% Pattern = {ModulePart, FunctionPart, Arity | any}
%% ModulePart, FunctionPart = {exact, binary()} | {prefix, binary()} | any
%% '''
%%
%% == The return-tracing rule ==
%%
%% Return tracing (`return_trace', `exception_trace') keeps a frame on the
%% traced process's stack until the function returns. On a function that
%% calls itself in tail position, such as a receive loop
%% (`loop(State) -> receive M -> loop(handle(M, State)) end'), it never
%% returns: every iteration adds a frame, and the process's memory grows
%% without bound. So returns are traced only for:
%%
%% <ul>
%% <li>the callbacks of OTP behaviours (`handle_call/3', `init/1', a
%%     gen_statem's state functions, ...) in modules that declare the
%%     behaviour: they return to the behaviour's own loop after each message;</li>
%% <li>functions the selection names with `return => true', unless the
%%     function can reach itself through tail calls within its module,
%%     found by reading the module's BEAM code (`beam_disasm'). When the
%%     code cannot be read, returns are refused too.</li>
%% </ul>
%%
%% `callback_returns' names the behaviours whose callbacks' returns are
%% traced (`true': all four, the default; `false': none). ElixirScope's
%% default plan leaves out `gen_server' when GenServer states are captured
%% with `sys' (`elixirscope_agent_state'): the state after each callback and
%% its reply are then recorded by the debug function, at a cost that scales
%% with what changed, while a return event would carry the whole state.
%%
%% Every refusal is reported, with its reason, in the list of skipped
%% functions.
-module(elixirscope_agent_select).

-export([functions/2, matching_modules/2, application_modules/1, looping_functions/1]).

-type name_part() :: {exact, binary()} | {prefix, binary()} | any.
-type pattern() :: {name_part(), name_part(), non_neg_integer() | any}.
-type selection() :: #{include => [pattern()], exclude => [pattern()],
                       applications => [atom()],
                       functions => [#{pattern := pattern(), args := boolean(), return := boolean()}],
                       args => boolean(), callback_returns => boolean() | [atom()]}.
-type spec() :: #{module := module(), function := atom(), arity := arity(),
                  args := boolean(), return := boolean()}.
-export_type([selection/0, pattern/0]).

%% Callbacks whose returns are safe to trace, by behaviour.
-define(CALLBACKS,
        #{gen_server => [{init, 1}, {handle_call, 3}, {handle_cast, 2}, {handle_info, 2},
                         {handle_continue, 2}, {terminate, 2}, {code_change, 3}],
          gen_statem => [{init, 1}, {handle_event, 4}, {terminate, 3}, {code_change, 4}],
          supervisor => [{init, 1}],
          application => [{start, 2}, {stop, 1}]}).

%% @doc The function specs for `Modules' under `Selection', and the
%% return tracing refused, as `{Specs, [{MFA, Why}]}'.
-spec functions(selection(), [module()]) -> {[spec()], [{mfa(), binary()}]}.
functions(Selection0, Modules) ->
    Selection = with_app_modules(Selection0),
    Results = [module_specs(Selection, M) || M <- Modules, selected(Selection, M)],
    {lists:append([S || {S, _} <- Results]), lists:append([R || {_, R} <- Results])}.

%% @doc The loaded modules among `Modules' that the selection covers.
-spec matching_modules(selection(), [module()]) -> [module()].
matching_modules(Selection0, Modules) ->
    Selection = with_app_modules(Selection0),
    [M || M <- Modules, selected(Selection, M)].

%% The applications' module lists, looked up once per call.
with_app_modules(Selection) ->
    Selection#{app_modules => lists:append([app_modules(A) || A <- maps:get(applications, Selection, [])])}.

%% @doc The modules of the selection's applications that are loaded
%% (`application:load/1' done), loading their code first so that no call
%% can happen before its pattern is set.
-spec application_modules(selection()) -> [module()].
application_modules(Selection) ->
    Loaded = [A || {A, _, _} <- application:loaded_applications()],
    Mods = lists:append([app_modules(A) || A <- maps:get(applications, Selection, []),
                                           lists:member(A, Loaded)]),
    _ = code:ensure_modules_loaded(Mods),
    Mods.

app_modules(App) ->
    case application:get_key(App, modules) of
        {ok, Mods} -> Mods;
        undefined -> []
    end.

selected(Selection, M) ->
    Name = atom_to_binary(M),
    InApp = lists:member(M, app_modules_cached(Selection)),
    Included = InApp orelse lists:any(fun({MP, _, _}) -> name_matches(MP, Name) end,
                                      maps:get(include, Selection, []) ++
                                          [P || #{pattern := P} <- maps:get(functions, Selection, [])]),
    Excluded = lists:any(fun({MP, any, any}) -> name_matches(MP, Name);
                            (_) -> false
                         end, maps:get(exclude, Selection, [])),
    Included andalso not Excluded andalso not own_module(Name).

app_modules_cached(#{app_modules := Mods}) -> Mods.

%% The agent never traces itself.
own_module(<<"elixirscope_", _/binary>>) -> true;
own_module(_) -> false.

module_specs(Selection, M) ->
    Exports = [FA || {F, _} = FA <- M:module_info(functions), traceable(F)],
    Callbacks = callbacks(M, all),
    Returned = callbacks(M, maps:get(callback_returns, Selection, true)),
    Named = maps:get(functions, Selection, []),
    WantedReturns = fun(F, A) ->
                            lists:member({F, A}, Returned)
                                orelse lists:any(fun(#{pattern := P, return := R}) -> R andalso mfa_matches(P, M, F, A) end, Named)
                    end,
    %% Reading the code is the expensive part (milliseconds per module): done
    %% only for modules where the user named a function's returns.
    NamedReturn = fun(F, A) -> not lists:member({F, A}, Callbacks) andalso WantedReturns(F, A) end,
    Loops = case lists:any(fun({F, A}) -> NamedReturn(F, A) end, Exports) of
                true -> looping_functions(M);
                false -> {ok, []}
            end,
    Excludes = maps:get(exclude, Selection, []),
    Included = included_functions(Selection, M, Exports, Named),
    lists:foldr(
      fun({F, A}, {Specs, Refused}) ->
              Args = maps:get(args, Selection, false)
                  orelse lists:any(fun(#{pattern := P, args := G}) -> G andalso mfa_matches(P, M, F, A) end, Named),
              {Return, Why} = return_allowed(WantedReturns(F, A), {F, A}, Loops),
              Spec = #{module => M, function => F, arity => A, args => Args, return => Return},
              Refused1 = case Why of none -> Refused; _ -> [{{M, F, A}, Why} | Refused] end,
              case lists:any(fun(P) -> mfa_matches(P, M, F, A) end, Excludes) of
                  true -> {Specs, Refused};
                  false -> {[Spec | Specs], Refused1}
              end
      end, {[], []}, Included).

%% Functions the compiler generated (funs, `module_info', Elixir's
%% `__info__') are not the user's code.
traceable(F) ->
    case atom_to_binary(F) of
        <<"-", _/binary>> -> false;
        <<"module_info">> -> false;
        <<"__info__">> -> false;
        _ -> true
    end.

%% Every function of a module selected as a whole; only the named
%% ones of a module reached through `functions' patterns alone.
included_functions(Selection, M, Exports, Named) ->
    Name = atom_to_binary(M),
    Whole = lists:member(M, app_modules_cached(Selection))
        orelse lists:any(fun({MP, any, any}) -> name_matches(MP, Name); (_) -> false end,
                         maps:get(include, Selection, [])),
    Partial = [P || P <- maps:get(include, Selection, [])] ++ [P || #{pattern := P} <- Named],
    [FA || {F, A} = FA <- Exports,
           Whole orelse lists:any(fun(P) -> mfa_matches(P, M, F, A) end, Partial)].

return_allowed(false, _, _) -> {false, none};
return_allowed(true, _, {error, Why}) -> {false, Why};
return_allowed(true, FA, {ok, Loops}) ->
    case lists:member(FA, Loops) of
        true -> {false, <<"it can call itself in tail position (a loop): return tracing would grow its stack">>};
        false -> {true, none}
    end.

%% The callbacks of M's behaviours, among `Which' (`all', `true', `false'
%% or a list of behaviours).
callbacks(_, false) -> [];
callbacks(M, true) -> callbacks(M, all);
callbacks(M, Which) ->
    Declared = [erlang_behaviour(B) || B <- lists:append([B || {behaviour, B} <- M:module_info(attributes)] ++
                                                         [B || {behavior, B} <- M:module_info(attributes)])],
    Behaviours = [B || B <- Declared, Which =:= all orelse lists:member(B, Which)],
    lists:append([maps:get(B, ?CALLBACKS, []) || B <- Behaviours]) ++ state_functions(M, Behaviours).

%% A gen_statem in `state_functions' mode has one callback per state:
%% every exported function of arity 3 is one (`locked/3', `open/3').
state_functions(M, Behaviours) ->
    case lists:member(gen_statem, Behaviours) of
        true -> [{F, 3} || {F, 3} <- M:module_info(exports), F =/= code_change, F =/= terminate];
        false -> []
    end.

%% Elixir's behaviours are OTP's under another name.
erlang_behaviour('Elixir.GenServer') -> gen_server;
erlang_behaviour('Elixir.Supervisor') -> supervisor;
erlang_behaviour('Elixir.DynamicSupervisor') -> supervisor;
erlang_behaviour('Elixir.Application') -> application;
erlang_behaviour(B) -> B.

mfa_matches({MP, FP, AP}, M, F, A) ->
    name_matches(MP, atom_to_binary(M)) andalso name_matches(FP, atom_to_binary(F))
        andalso (AP =:= any orelse AP =:= A).

name_matches(any, _) -> true;
name_matches({exact, N}, Name) -> N =:= Name;
name_matches({prefix, P}, Name) ->
    Size = byte_size(P),
    case Name of
        <<P:Size/binary, _/binary>> -> true;
        _ -> false
    end.

%% @doc The functions of `M' that can reach themselves through local tail
%% calls, read from its BEAM code: `{ok, [{F, A}]}', or `{error, Why}' when
%% the code cannot be read.
-spec looping_functions(module()) -> {ok, [{atom(), arity()}]} | {error, binary()}.
looping_functions(M) ->
    case code:get_object_code(M) of
        {M, Bin, _} -> disassembled_loops(M, Bin);
        error -> {error, <<"its object code cannot be found to check it for loops">>}
    end.

disassembled_loops(M, Bin) ->
    try beam_disasm:file(Bin) of
        {beam_file, M, _, _, _, Functions} ->
            Entries = maps:from_list([{Entry, {F, A}} || {function, F, A, Entry, _} <- Functions]),
            Graph = maps:from_list([{{F, A}, tail_targets(M, Code, Entries)} || {function, F, A, _, Code} <- Functions]),
            {ok, [FA || FA <- maps:keys(Graph), reaches(Graph, FA)]};
        _ -> {error, <<"its object code cannot be disassembled to check it for loops">>}
    catch
        _:_ -> {error, <<"its object code cannot be disassembled to check it for loops">>}
    end.

%% The local functions a function's code calls in tail position
%% (`call_only', `call_last'); beam_disasm names the callee either by
%% label or as `{Module, Function, Arity}'.
tail_targets(M, Code, Entries) ->
    lists:usort([FA || I <- Code, FA <- tail_callee(I, M, Entries)]).

tail_callee({call_only, _, Callee}, M, Entries) -> local(Callee, M, Entries);
tail_callee({call_last, _, Callee, _}, M, Entries) -> local(Callee, M, Entries);
tail_callee(_, _, _) -> [].

local({f, L}, _, Entries) when is_map_key(L, Entries) -> [maps:get(L, Entries)];
local({M, F, A}, M, _) -> [{F, A}];
local(_, _, _) -> [].

%% Whether `From' can reach itself in the tail-call graph.
reaches(Graph, From) -> reaches(Graph, From, maps:get(From, Graph, []), #{}).

reaches(_, _, [], _) -> false;
reaches(_, From, [From | _], _) -> true;
reaches(Graph, From, [Next | Rest], Seen) when is_map_key(Next, Seen) -> reaches(Graph, From, Rest, Seen);
reaches(Graph, From, [Next | Rest], Seen) ->
    reaches(Graph, From, maps:get(Next, Graph, []) ++ Rest, Seen#{Next => true}).
