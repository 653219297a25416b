%% @doc Workloads for the recording agent's tests, with event counts known
%% in advance, and a helper that lists tracing left on the node.
-module(es_fixture).
-behaviour(gen_server).

-export([fib/1, fib_calls/1, echo/1, tiny/1, calls/2, calls_in/3, flood/2,
         pingpong/1, spawn_exit/1, start_loop/0, loop/1, feed/2, loop_memory/1,
         start_counter/1, bump/2, read/1, forget/2,
         churn/2, inject/2, inject_at_once/2, leftovers/2, memory_sampler/2,
         diff_mismatches/2, start_counter_during_replan/4]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

%% fib(N) makes fib_calls(N) calls of fib/1.
fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

fib_calls(N) when N < 2 -> 1;
fib_calls(N) -> 1 + fib_calls(N - 1) + fib_calls(N - 2).

echo(X) -> X.

tiny(X) -> X.

%% N calls of tiny/1 in the calling process.
calls(0, _) -> ok;
calls(N, X) -> _ = tiny(X), calls(N - 1, X).

%% P processes each making N calls of tiny/1; returns when all are done.
calls_in(P, N, X) ->
    Me = self(),
    Pids = [spawn_link(fun() -> calls(N, X), Me ! {done, self()} end) || _ <- lists:seq(1, P)],
    [receive {done, Pid} -> ok end || Pid <- Pids],
    ok.

%% Like calls_in/3 but timed: returns the microseconds it took.
flood(P, N) ->
    {Us, ok} = timer:tc(fun() -> calls_in(P, N, 1) end),
    Us.

%% N round trips between the caller and a new echo process.
pingpong(N) ->
    Echo = spawn(fun Echo() -> receive {ping, From, I} -> From ! {pong, I}, Echo(); stop -> ok end end),
    [receive {pong, I} -> ok end || I <- lists:seq(1, N), (Echo ! {ping, self(), I}) =/= x],
    Echo ! stop,
    ok.

%% N processes that each exit with {done, I}; returns when all are gone.
spawn_exit(N) ->
    Ms = [spawn_monitor(fun() -> exit({done, I}) end) || I <- lists:seq(1, N)],
    [receive {'DOWN', R, process, P, _} -> ok end || {P, R} <- Ms],
    ok.

%% A tail-recursive receive loop.
start_loop() ->
    spawn(fun() -> loop(0) end).

loop(N) ->
    receive
        {msg, _} -> loop(N + 1);
        {count, From} -> From ! {count, N}, loop(N)
    end.

%% Sends N messages to the loop and waits until it has handled them.
feed(Pid, N) ->
    [Pid ! {msg, I} || I <- lists:seq(1, N)],
    Pid ! {count, self()},
    receive {count, C} -> C end.

loop_memory(Pid) ->
    erlang:garbage_collect(Pid),
    {memory, M} = erlang:process_info(Pid, memory),
    {stack_size, S} = erlang:process_info(Pid, stack_size),
    {M, S}.

%% A GenServer holding a map.
start_counter(Name) ->
    {ok, Pid} = gen_server:start({local, Name}, ?MODULE, #{count => 0, name => Name}, []),
    Pid.

bump(Name, K) -> gen_server:call(Name, {bump, K}).
read(Name) -> gen_server:call(Name, read).
forget(Name, K) -> gen_server:cast(Name, {forget, K}).

init(State) -> {ok, State}.
handle_call({bump, K}, _From, S) ->
    N = maps:get(K, S, 0) + 1,
    {reply, N, S#{K => N}};
handle_call(read, _From, S) ->
    {reply, S, S}.
handle_cast({forget, K}, S) -> {noreply, maps:remove(K, S)}.
handle_info(_, S) -> {noreply, S}.

%% For Ms milliseconds: calls, GenServer calls, messages and short-lived
%% processes, in the caller's process and a few others.
churn(Ms, Name) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    Workers = [spawn_monitor(fun() -> churn_loop(Deadline, Name, 0) end) || _ <- lists:seq(1, 3)],
    [receive {'DOWN', R, process, P, _} -> ok end || {P, R} <- Workers],
    ok.

churn_loop(Deadline, Name, I) ->
    case erlang:monotonic_time(millisecond) < Deadline of
        false -> ok;
        true ->
            _ = tiny(I),
            I rem 50 =:= 0 andalso bump(Name, I rem 7),
            I rem 500 =:= 0 andalso spawn(fun() -> ok end),
            churn_loop(Deadline, Name, I + 1)
    end.

%% Sends N call events, shaped as the VM makes them, straight to the session,
%% 10,000 at a time, as fast as the session's socket takes them (its queue
%% kept under 8 MB, the mailbox under 50,000): measures the pipeline from
%% the tracer to the collector without the cost of producing events.
inject(Session, N) ->
    {links, Links} = erlang:process_info(Session, links),
    [Sock] = [L || L <- Links, is_port(L)],
    inject(Session, Sock, N, erlang:monotonic_time(nanosecond)).

inject(_, _, N, _) when N =< 0 -> ok;
inject(Session, Sock, N, T) ->
    {queue_size, Q} = erlang:port_info(Sock, queue_size),
    {message_queue_len, M} = erlang:process_info(Session, message_queue_len),
    case Q < 8000000 andalso M < 50000 of
        true ->
            Me = self(),
            K = min(N, 10000),
            [Session ! {trace_ts, Me, call, {?MODULE, tiny, 1}, T + I} || I <- lists:seq(1, K)],
            inject(Session, Sock, N - K, T + K);
        false ->
            receive after 1 -> inject(Session, Sock, N, T) end
    end.

%% Puts N call events into the session's mailbox at once, the tracer
%% suspended meanwhile: a backlog of exactly N events.
inject_at_once(Session, N) ->
    erlang:suspend_process(Session),
    T = erlang:monotonic_time(nanosecond),
    Me = self(),
    [Session ! {trace_ts, Me, call, {?MODULE, tiny, 1}, T + I} || I <- lists:seq(1, N)],
    erlang:resume_process(Session),
    ok.

%% What tracing is left: processes with trace flags, the given functions
%% with any trace setting, the given processes with sys debug functions,
%% the default flags of new processes, and the send pattern.
leftovers(MFAs, Pids) ->
    #{flags => [{P, F} || P <- processes(), {flags, F} <- [erlang:trace_info(P, flags)], F =/= []],
      functions => [{MFA, I} || MFA <- MFAs, {all, I} <- [erlang:trace_info(MFA, all)], I =/= false],
      debug => [{P, D} || P <- Pids, D <- [sys_debug(P)], D =/= []],
      new => element(2, erlang:trace_info(new_processes, flags)),
      send => element(2, erlang:trace_info(send, match_spec))}.

sys_debug(P) ->
    {status, _, _, [_, _, _, Debug | _]} = sys:get_status(P),
    Debug.

%% Samples erlang:memory(total) every Ms milliseconds until told to stop;
%% answers {peak, Max, Baseline}.
memory_sampler(Ms, From) ->
    spawn(fun() -> sample(Ms, From, erlang:memory(total), erlang:memory(total)) end).

sample(Ms, From, Base, Max) ->
    receive
        stop -> From ! {peak, Max, Base}
    after Ms ->
        sample(Ms, From, Base, max(Max, erlang:memory(total)))
    end.

%% Runs the agent's debug function on N random map changes (keys added,
%% changed, removed; requests naming some of them or none) and returns the
%% cases where the change it sends, applied to the old map, does not give
%% the new one, or differs from a full pass over the keys.
diff_mismatches(Seed, N) ->
    rand:seed(exsss, Seed),
    lists:filtermap(fun(_) -> diff_case() end, lists:seq(1, N)).

diff_case() ->
    Old = maps:from_list([{rand:uniform(80), rand:uniform(3)} || _ <- lists:seq(1, rand:uniform(60) - 1)]),
    New = lists:foldl(fun(_, M) ->
                              K = rand:uniform(80),
                              case rand:uniform(3) of
                                  1 -> maps:remove(K, M);
                                  _ -> M#{K => rand:uniform(3)}
                              end
                      end, Old, lists:seq(1, rand:uniform(4) - 1)),
    Named = [rand:uniform(90) || _ <- lists:seq(1, rand:uniform(4) - 1)],
    Trigger = {in, {'$gen_call', {self(), make_ref()}, list_to_tuple([put | Named])}},
    LastChanged = [rand:uniform(80) || _ <- lists:seq(1, rand:uniform(3) - 1)],
    S = {self(), 65536, Old, Trigger, none, LastChanged},
    elixirscope_agent_state:on_event(S, {out, ok, self(), New}, name),
    receive
        {es_state, _, _, _, _, After} ->
            Full = elixirscope_agent_state:diff(Old, New),
            case applied(After, Old) =:= New andalso sorted(After) =:= sorted(Full) of
                true -> false;
                false -> {true, {Old, New, Named, LastChanged, After}}
            end
    after 1000 ->
        {true, no_event}
    end.

applied(unchanged, Old) -> Old;
applied({changed, Changed, Removed}, Old) -> maps:merge(maps:without(Removed, Old), Changed).

sorted({changed, Changed, Removed}) -> {changed, Changed, lists:sort(Removed)};
sorted(X) -> X.

%% Starts the counter `Name' while the agent applies `Plan' (a plan that
%% keeps the guard busy for a while), and bumps it `Bumps' times, a
%% millisecond apart, while the guard works. Returns the counter, how long
%% the plan change took (microseconds), its result and whether the guard
%% was seen busy before the start.
start_counter_during_replan(Session, Plan, Name, Bumps) ->
    Self = self(),
    spawn(fun() -> Self ! {replanned, timer:tc(elixirscope_agent, update_plan, [Session, Plan])} end),
    Busy = busy(whereis(elixirscope_agent_guard), erlang:monotonic_time(millisecond) + 2000),
    Pid = start_counter(Name),
    [begin bump(Name, a), timer:sleep(1) end || _ <- lists:seq(1, Bumps)],
    receive {replanned, {Us, Result}} -> {Pid, Us, Result, Busy} end.

busy(Guard, Deadline) ->
    case erlang:process_info(Guard, status) of
        {status, waiting} ->
            case erlang:monotonic_time(millisecond) < Deadline of
                true -> busy(Guard, Deadline);
                false -> not_seen_busy
            end;
        _ ->
            busy
    end.
