%% @doc The OTP behaviour processes running when a session starts, for
%% the hello frame.
%%
%% A process started while recording is known from its `spawn' event,
%% whose initial call names its behaviour and callback module. A process
%% that was already running (every process, when attaching to a node) has
%% no such event; this module tells the collector what those processes
%% are, so that their recording knows a supervisor from a GenServer, which
%% supervisor a child belongs to (and so which start was a restart), and
%% that a gen_statem's callbacks return its state name and data.
%%
%% For each local process whose `'$initial_call'' is `{supervisor, Module,
%% 1}' (a supervisor, `Module' its callback module) or `{Module, init, 1}'
%% where `Module' declares the behaviour `gen_server', `gen_statem' or
%% `supervisor' (or Elixir's `GenServer' or `Supervisor'), the census has
%% `{Pid, Behaviour, Module, Parent}': `Behaviour' one of `gen_server',
%% `gen_statem' and `supervisor', `Parent' the process that started it
%% (`undefined' when it is gone or not known). Other processes (plain
%% ones, Tasks, Agents, gen_event managers) are left out, as a spawn event
%% would leave them plain. At most `?MAX' processes are listed: on a node
%% with more, the rest look like plain processes in the recording.
-module(elixirscope_agent_census).

-export([behaviour_processes/0]).

-define(MAX, 50000).

%% @doc The behaviour processes running now, as described in the module doc.
-spec behaviour_processes() ->
          [{pid(), gen_server | gen_statem | supervisor, module(), pid() | undefined}].
behaviour_processes() ->
    visit(erlang:processes(), ?MAX, #{}, []).

visit([P | Ps], Left, Cache, Found) when Left > 0 ->
    case elixirscope_agent_state:initial_call(P) of
        {supervisor, M, 1} when is_atom(M) ->
            visit(Ps, Left - 1, Cache, [{P, supervisor, M, parent(P)} | Found]);
        {M, init, 1} when is_atom(M) ->
            case behaviour(M, Cache) of
                {none, Cache1} -> visit(Ps, Left, Cache1, Found);
                {B, Cache1} -> visit(Ps, Left - 1, Cache1, [{P, B, M, parent(P)} | Found])
            end;
        _ ->
            visit(Ps, Left, Cache, Found)
    end;
visit(_, _, _, Found) ->
    lists:reverse(Found).

%% The behaviour module `M' declares, looked up once per module.
behaviour(M, Cache) ->
    case Cache of
        #{M := B} -> {B, Cache};
        _ -> B = declared(M), {B, Cache#{M => B}}
    end.

declared(M) ->
    Attrs = try M:module_info(attributes) catch _:_ -> [] end,
    Bs = lists:append([V || {K, V} <- Attrs, K =:= behaviour orelse K =:= behavior]),
    first([{gen_statem, gen_statem}, {gen_server, gen_server}, {'Elixir.GenServer', gen_server},
           {supervisor, supervisor}, {'Elixir.Supervisor', supervisor}], Bs).

first([{Declared, B} | T], Bs) ->
    case lists:member(Declared, Bs) of
        true -> B;
        false -> first(T, Bs)
    end;
first([], _) ->
    none.

parent(P) ->
    case catch erlang:process_info(P, parent) of
        {parent, Parent} when is_pid(Parent) -> Parent;
        _ -> undefined
    end.
