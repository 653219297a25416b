%% @doc ElixirScope's recording agent: records what this node does and
%% streams it to the ElixirScope collector, without endangering the node.
%%
%% == What it records ==
%%
%% A recording follows a plan, resolved by ElixirScope from what the user
%% asked for and checked again here (`elixirscope_agent_plan'):
%%
%% <ul>
%% <li>calls of the functions named, with their arguments when asked, and
%%     their return values or exceptions when asked;</li>
%% <li>the messages the chosen processes send and receive;</li>
%% <li>their process events: spawn, exit, link, unlink, register;</li>
%% <li>the state of chosen GenServers and gen_statems: a snapshot, then each
%%     change (`elixirscope_agent_state').</li>
%% </ul>
%%
%% Events are the VM's own trace messages, sent as they were received
%% (`{trace_ts, Pid, call, {M, F, Args}, Ts}' and so on, with monotonic
%% nanosecond timestamps), plus `es_state' events for states. The session's
%% hello frame carries `erlang:time_offset(nanosecond)', so that a
%% timestamp plus the offset is the wall-clock time, to line recordings up
%% with logs.
%%
%% == How ==
%%
%% ```
%%   this node                                                ElixirScope
%%   ┌───────────────────────────────────────────────┐
%%   │ traced processes ──trace messages──▶ tracer ──┼─ TCP, {packet,4} ─▶ collector
%%   │        ▲                          (batches,   │   term_to_binary
%%   │        │ patterns, flags,          limits)    │   of each batch
%%   │        │ debug functions             │monitor │
%%   │        └────────────────────────── guard ◀────┘
%%   └───────────────────────────────────────────────┘
%% '''
%%
%% The session's tracer process is the VM's tracer: the VM sends it the trace
%% messages directly, with no port or file in between. It batches them
%% (500 events or 50 ms by default), encodes each batch once, and writes it
%% to a socket it opened to the collector, never blocking
%% (`elixirscope_agent_tracer', `elixirscope_agent_wire'). A second,
%% small process, the guard, sets the tracing and removes it when the
%% session ends, whichever way it ends (`elixirscope_agent_guard',
%% `elixirscope_agent_trace').
%%
%% ```
%% 1> {ok, S} = elixirscope_agent:start(#{collector => {"127.0.0.1", 40123},
%%        token => <<"secret">>,
%%        plan => #{functions => [#{module => my_mod, function => handle, arity => 2,
%%                                  args => true, return => true}],
%%                  processes => new}}).
%% {ok,<0.321.0>}
%% 2> elixirscope_agent:status().
%% #{sessions => [#{session => <0.321.0>, delivered => 1200, dropped => 0, ...}]}
%% 3> elixirscope_agent:stop(S).
%% ok
%% '''
%%
%% == Safety ==
%%
%% Tracing runs inside the processes being traced and the recording is
%% held in the node's memory until it is sent, so a careless recording can
%% slow a node down or make it run out of memory. The agent's rules:
%%
%% <ul>
%% <li><b>Everything is bounded.</b> Events per second, the tracer's mailbox,
%%     its memory, the size of any one term in an event, the number of
%%     events and the duration all have limits, with defaults when the plan
%%     gives none. Over a limit the agent drops events, and says so: every
%%     drop is counted and reported to the collector with its reason. When
%%     the mailbox or memory limit is hit, the agent also turns off the
%%     source that produced most of the flood (`elixirscope_agent_shed').</li>
%% <li><b>Filtering happens in the VM.</b> Only the functions named are
%%     traced, with match specs; when no pattern wants arguments, the
%%     `arity' flag keeps the VM from copying them at all.</li>
%% <li><b>Large terms are cut, cheaply.</b> A term over `max_term_bytes' is
%%     replaced by `{'$es_cut', Kind, Size, Prefix}', measured by a walk
%%     that stops at the budget (`elixirscope_agent_cut').</li>
%% <li><b>The transport never blocks the tracer.</b> A collector that cannot
%%     keep up costs dropped batches, not a growing node.</li>
%% <li><b>Nothing is left behind.</b> When a session ends (stop, kill, a
%%     limit, the collector closing or crashing, the tracer dying), every
%%     flag, pattern and debug function it set is removed within a second,
%%     and only those: a pattern another tool set since is left alone. The
%%     kill switch {@link kill/0} stops every session and also sweeps the
%%     node for anything marked as ours.</li>
%% <li><b>One session per node.</b> On OTP 25 and 26 a function has one
%%     trace pattern and a process one tracer for the whole node; two
%%     sessions would silently take each other's events, so a second
%%     `start/1' is refused.</li>
%% <li><b>Dangerous plans are refused</b>, with a sentence: a pattern on
%%     every module, on the agent itself, or return tracing of every
%%     function of a module.</li>
%% </ul>
%%
%% == Return tracing and tail recursion ==
%%
%% Return values are traced (with `{exception_trace}' in the match spec)
%% only for functions the plan marks `return => true', and the planner never
%% marks a function that calls itself in tail position, such as a receive
%% loop. The reason: to report a return, the VM must keep a frame on the
%% stack for each traced call until it returns. A tail-recursive loop never
%% returns; each iteration is a traced call, so each iteration leaves one
%% more frame, and a process that used a dozen words of stack grows to
%% hundreds of thousands (measured: 12 words to 177,000 in one test) until
%% it runs out of memory. Call tracing alone keeps no frame, so the loop is
%% still recorded, call by call, in constant memory.
%%
%% == Trace flags ==
%%
%% `call' (with `arity' unless arguments are wanted), `send' and `receive'
%% when messages are recorded, `procs' for process events, and always
%% `monotonic_timestamp'. `processes => all' traces every process, those
%% alive now and those to come; `new' only those to come; a list of pids
%% and names traces those processes and, through `set_on_spawn', the
%% processes they spawn, because work handed to a spawned helper belongs to
%% the story the user asked about. The agent's own processes are never
%% traced. Function patterns are `local', so calls inside a module are seen
%% as well as calls from outside.
%%
%% == OTP versions ==
%%
%% The agent loads on OTP 25, 26 and 27. On OTP 27 it uses a trace session
%% of its own (`trace:session_create/3'), which also isolates it from other
%% tracing tools; that branch is small and is not tested on the OTP 25 this
%% project is developed with. Reloading these modules while a session runs
%% is a mistake: a second code load purges the old code and kills the
%% session's processes without cleanup; `kill/0' then removes what is left.
-module(elixirscope_agent).

-export([start/1, stop/1, update_plan/2, status/0, kill/0]).

-define(SESSION, elixirscope_agent_session).
-define(GUARD, elixirscope_agent_guard).
-define(REASONS, [rate_limit, queue_limit, memory_limit, collector_busy, max_events]).

%% @doc Starts a recording session. `Config' is
%% `#{collector => {Host, Port}, token => Binary, plan => Plan}'; see
%% `elixirscope_agent_plan' for the plan. Returns once the plan is applied
%% and the collector has accepted the hello frame; a collector that refuses
%% it (a wrong token) makes it `{error, {collector_refused, Why}}', with
%% the tracing removed.
-spec start(map()) -> {ok, pid()} | {error, term()}.
start(Config) ->
    case elixirscope_agent_plan:check_config(Config) of
        {ok, Collector, Token, Plan} -> elixirscope_agent_tracer:start(Collector, Token, Plan);
        {error, _} = Error -> Error
    end.

%% @doc Stops a session: removes its tracing, sends the last events and the
%% `stopped' frame, and returns once the session has ended.
-spec stop(pid()) -> ok | {error, not_running}.
stop(Session) ->
    Ref = monitor(process, Session),
    request(Session, stop),
    receive
        {'DOWN', Ref, process, _, noproc} -> {error, not_running};
        {'DOWN', Ref, process, _, _} -> ok
    after 10000 ->
        exit(Session, kill),
        wait_down(Session, 1000),
        ok
    end.

%% @doc Replaces the session's plan while it records. Only what differs is
%% changed: patterns that stay are kept, process flags are redone only when
%% the flags or processes change, and states that stay captured keep their
%% debug function (only newly named processes get a snapshot). A plan that
%% only adds functions, as modules load, loses no events.
-spec update_plan(pid(), map()) -> ok | {error, term()}.
update_plan(Session, Plan) ->
    Ref = monitor(process, Session),
    Session ! {?MODULE, self(), Ref, {update_plan, Plan}},
    receive
        {Ref, Reply} -> demonitor(Ref, [flush]), Reply;
        {'DOWN', Ref, process, _, _} -> {error, not_running}
    after 30000 ->
        demonitor(Ref, [flush]),
        {error, timeout}
    end.

%% @doc The running sessions, read without disturbing them: events
%% delivered, drops by reason, batches sent, the tracer's mailbox length and
%% memory.
-spec status() -> #{sessions := [map()]}.
status() ->
    #{sessions => [session_status(T) || T <- [whereis(?SESSION)], is_pid(T)]}.

session_status(T) ->
    case erlang:process_info(T, [message_queue_len, memory, dictionary]) of
        [{_, Q}, {_, M}, {_, D}] ->
            C = proplists:get_value('$elixirscope_counters', D),
            Reasons = lists:zip(?REASONS, lists:seq(4, 3 + length(?REASONS))),
            #{session => T, guard => whereis(?GUARD), queue_len => Q, memory => M,
              delivered => counters:get(C, 1), dropped => counters:get(C, 2),
              batches => counters:get(C, 3),
              drops => maps:from_list([{R, counters:get(C, I)} || {R, I} <- Reasons])};
        undefined ->
            #{session => T, ended => true}
    end.

%% @doc The kill switch: stops every session at once and removes all their
%% tracing, even when a session no longer answers. Tracing is removed by
%% the guard before the tracer is asked to end; a tracer that does not end
%% within a second is killed; then the node is swept for any pattern or
%% flag marked as ours (`elixirscope_agent_trace:sweep/0').
-spec kill() -> #{sessions := non_neg_integer(), swept := non_neg_integer()}.
kill() ->
    Tracer = whereis(?SESSION),
    is_pid(Tracer) andalso request(Tracer, kill),
    case whereis(?GUARD) of
        undefined -> ok;
        Guard -> elixirscope_agent_guard:finish(Guard, 2000)
    end,
    is_pid(Tracer) andalso wait_down(Tracer, 1000) =:= false andalso
        begin exit(Tracer, kill), wait_down(Tracer, 1000) end,
    #{sessions => length([T || T <- [Tracer], is_pid(T)]), swept => elixirscope_agent_trace:sweep()}.

request(Session, What) ->
    Session ! {?MODULE, self(), make_ref(), What},
    ok.

wait_down(Pid, Timeout) ->
    Ref = monitor(process, Pid),
    receive
        {'DOWN', Ref, process, _, noproc} -> not_running;
        {'DOWN', Ref, process, _, _} -> true
    after Timeout ->
        demonitor(Ref, [flush]),
        false
    end.
