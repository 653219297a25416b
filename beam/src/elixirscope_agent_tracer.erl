%% @doc The tracer process: receives trace messages, batches them, and
%% streams them to the collector within the plan's limits.
%%
%% The VM sends every trace message of a session to this one process. Its
%% loop does as little as possible per event: check the rate, cut terms
%% that are too large (see `elixirscope_agent_cut'), put the event on the
%% current batch. Once per batch (`batch_size' events, or every `batch_ms'
%% on a timer) it encodes the whole batch with one `term_to_binary/1', hands
%% it to the socket without blocking, and looks at its own health:
%%
%% ```
%%   trace messages ──▶ [mailbox, off heap] ──▶ rate ─▶ cut ─▶ batch
%%                                                                │ full or timer
%%                       queue / memory over limit?  ◀── flush ◀──┘
%%                       ├─ no:  go on
%%                       ├─ half way and growing: turn off the noisiest
%%                       │       source (elixirscope_agent_shed), go on
%%                       └─ yes: drop the mailbox, count it, turn off the
%%                               noisiest source
%% '''
%%
%% The mailbox is kept off the process heap (`message_queue_data' is
%% `off_heap'), so a long mailbox does not make every garbage collection of
%% the tracer slower, and senders do not contend on the tracer's heap lock.
%%
%% == The limits ==
%%
%% <ul>
%% <li>`max_events_per_sec': within each one-second window the first that
%%     many events are recorded; after that one in 100 is still recorded
%%     (a sample showing what the flood was made of) and the others are
%%     dropped as `rate_limit'.</li>
%% <li>`max_queue' and `max_memory_bytes': the mailbox length is checked
%%     every 128 events and after every batch. The memory costs time
%%     proportional to the mailbox (about 12 ns per waiting message: over a
%%     millisecond with 100,000 waiting), so it is measured once the events
%%     handled since the last measurement reach 8 batches or a quarter of
%%     the mailbox, whichever is more; or every 512 events while the
%%     mailbox, at the larger of the last batch's encoded bytes per event
%%     and the bytes per waiting message found by the last measurement of a
%%     long mailbox, may hold more than half the limit (a waiting message
%%     holds its arguments whole); and on the timer when the mailbox is
%%     short or the measurement is due (the timer's message waits behind
%%     the backlog). Measuring every 8 batches whatever the mailbox would
%%     cost a backlogged tracer a good part of its time and make the backlog
%%     grow faster; this way it costs at most about 50 ns per event.
%%     Half way to either limit, with the mailbox still growing, the
%%     noisiest of the next 2,000 events' sources is turned off (load
%%     shedding, see `elixirscope_agent_shed'): the guard takes some
%%     milliseconds to do it, meanwhile the flood goes on and the tracer
%%     keeps recording. Over a limit, everything waiting is dropped as
%%     `queue_limit' or `memory_limit', at high priority, and the noisiest
%%     source turned off unless one is being turned off already.</li>
%% <li>a full socket queue: the batch is dropped as `collector_busy'.</li>
%% <li>`max_events' events recorded, or `max_duration_ms' elapsed: the
%%     session stops with that reason; events still arriving are dropped as
%%     `max_events'.</li>
%% </ul>
%%
%% Every drop is counted and reported in a `{drops, Count, Reason}' frame
%% before the next events frame, so that for any workload the events
%% delivered plus the events dropped are the events the VM produced, except
%% those of a source turned off by load shedding, which the VM no longer
%% produces at all (each `{pattern_disabled, ...}' frame says so).
%%
%% == Keeping up ==
%%
%% The scheduler shares time by reductions, and a traced process pays about
%% one reduction for a call that costs the tracer several to record: at
%% equal priority, two busy traced processes produce events several times
%% faster than the tracer gets to handle them, and the mailbox grows until
%% load shedding. So while a backlog builds (more than four batches
%% waiting) the tracer raises itself to `high' priority, and lowers itself
%% again once less than one batch is waiting. This is self-limiting: a
%% high-priority tracer takes at most one scheduler, only while it has a
%% backlog, and the traced processes producing that backlog wait meanwhile,
%% which is the backpressure that keeps the mailbox short. On a single
%% scheduler the traced processes stop producing until the tracer caught
%% up; on several, the other schedulers run everything else.
%%
%% == Stopping ==
%%
%% Whatever ends the session (a stop request, the collector, a limit, the
%% guard dying), the tracer first has the guard remove all tracing, then
%% waits for `erlang:trace_delivered/1' so that every event produced before
%% that is in its mailbox, records those, sends `{stopped, Reason, Stats}'
%% and closes the socket. If the tracer itself dies, the guard removes the
%% tracing.
-module(elixirscope_agent_tracer).

-export([start/3]).

-define(NAME, elixirscope_agent_session).
-define(SAMPLE, 100).
%% The mailbox is looked at every this many events (and after each batch).
-define(CHECK_EVERY, 128).
-define(MEMORY_EVERY, 8).
%% Events looked at to find the noisiest source when shedding load.
-define(SHED_SAMPLE, 2000).
-define(REASONS, [rate_limit, queue_limit, memory_limit, collector_busy, max_events]).
-define(COUNTERS, '$elixirscope_counters').

-record(st, {sock, guard, guard_ref, applied, plan,
             batch_size, batch_ms, term_bytes, rate, max_queue, max_memory, max_events,
             seq = 0, batch = [], n = 0,
             win_start, win_n = 0,
             accepted = 0, delivered = 0,
             pending = #{}, dropped = #{}, frames = [], disabled = [],
             boosted = false, broken, started, counters,
             %% `accepted' when the memory was last measured, the encoded
             %% bytes per event of the last batch, and the bytes a waiting
             %% message took at the last measurement with a long mailbox.
             mem_at = 0, event_bytes = 0, message_bytes = 0,
             %% A source being turned off: `{Ref, Source, Reason}' until the
             %% guard answers; `accepted' when the last one was; the mailbox
             %% length at the last check.
             shedding = none, shed_at = 0, last_q = 0}).

%% @doc Starts a session and returns once the plan is applied and the
%% collector has accepted the hello frame, or with the reason it could not
%% start (`{collector_refused, Why}' when the collector refused the hello).
-spec start({inet:hostname() | inet:ip_address(), inet:port_number()}, binary(),
            elixirscope_agent_plan:plan()) -> {ok, pid()} | {error, term()}.
start(Collector, Token, Plan) ->
    Caller = self(),
    Ref = make_ref(),
    {Pid, MRef} = spawn_opt(fun() -> init(Caller, Ref, Collector, Token, Plan) end,
                            [monitor, {message_queue_data, off_heap}]),
    receive
        {Ref, Result} ->
            demonitor(MRef, [flush]),
            Result;
        {'DOWN', MRef, process, Pid, Why} ->
            {error, {agent_crashed, Why}}
    after 30000 ->
        exit(Pid, kill),
        {error, start_timeout}
    end.

init(Caller, Ref, {Host, Port}, Token, Plan) ->
    try register(?NAME, self()) of
        true -> connect(Caller, Ref, Host, Port, Token, Plan)
    catch error:badarg ->
        Caller ! {Ref, {error, {already_recording, whereis(?NAME)}}}
    end.

connect(Caller, Ref, Host, Port, Token, Plan) ->
    case elixirscope_agent_wire:connect(Host, Port) of
        {ok, Sock} -> setup(Caller, Ref, Sock, Token, Plan);
        {error, Why} -> Caller ! {Ref, {error, {collector_unreachable, Why}}}
    end.

setup(Caller, Ref, Sock, Token, Plan) ->
    #{limits := L} = Plan,
    Guard = elixirscope_agent_guard:start(self()),
    S = #st{sock = Sock, guard = Guard, guard_ref = monitor(process, Guard), plan = Plan,
            batch_size = maps:get(batch_size, L), batch_ms = maps:get(batch_ms, L),
            term_bytes = maps:get(max_term_bytes, L), rate = maps:get(max_events_per_sec, L),
            max_queue = maps:get(max_queue, L), max_memory = maps:get(max_memory_bytes, L),
            max_events = maps:get(max_events, L), win_start = now_ms(), started = now_ms(),
            counters = counters:new(3 + length(?REASONS), [])},
    put(?COUNTERS, S#st.counters),
    Started = erlang:monotonic_time(nanosecond),
    case elixirscope_agent_guard:apply_plan(Guard, Plan, S#st.term_bytes) of
        {ok, Applied} ->
            Hello = elixirscope_agent_wire:hello(Token, Plan, elixirscope_agent_guard:summary(Applied), Started),
            %% Started only once the collector has accepted the hello: a
            %% collector that refuses it (a wrong token) is an error of start/1.
            Verdict = case elixirscope_agent_wire:send_sync(Sock, Hello) of
                          ok -> elixirscope_agent_wire:verdict(Sock);
                          {error, Why} -> {closed, Why}
                      end,
            case Verdict of
                accepted ->
                    Caller ! {Ref, {ok, self()}},
                    timers(S),
                    loop(S#st{applied = Applied});
                {refused, Why1} ->
                    elixirscope_agent_guard:finish(Guard),
                    gen_tcp:close(Sock),
                    Caller ! {Ref, {error, {collector_refused, Why1}}};
                {closed, Why1} ->
                    elixirscope_agent_guard:finish(Guard),
                    gen_tcp:close(Sock),
                    Caller ! {Ref, {error, {collector_closed, Why1}}}
            end;
        {error, Why} ->
            elixirscope_agent_guard:finish(Guard),
            Caller ! {Ref, {error, Why}}
    end.

timers(#st{batch_ms = Ms, plan = #{limits := #{max_duration_ms := D}}}) ->
    erlang:send_after(Ms, self(), tick),
    is_integer(D) andalso erlang:send_after(D, self(), max_duration).

%% The hot loop. Between two checkpoints (a full batch, the next mailbox
%% check, the end of the rate window's allowance, `max_events') nothing
%% needs looking at but the event itself, so `hot/5' takes that many
%% events with the state record untouched: cut, put on the batch, count
%% down. The record, a tuple of some thirty fields, is brought up to date
%% once per stretch (`taken/3') instead of being copied for every event.
loop(S) ->
    case quota(S) of
        0 -> slow(S);
        K -> hot(S#st.batch, K, K, S#st.term_bytes, S)
    end.

%% Events that may be taken before the next checkpoint.
quota(#st{n = N, batch_size = Size, win_n = W, rate = R, accepted = A, max_events = Max}) ->
    Room = case Max of
               infinity -> Size;
               _ -> max(0, Max - A)
           end,
    min(min(Size - N, ?CHECK_EVERY - N rem ?CHECK_EVERY), min(max(0, R - W), Room)).

hot(B, 0, K, _, S) ->
    checkpoint(taken(B, K, S));
hot(B, I, K, TB, S) ->
    receive
        E when element(1, E) =:= trace_ts; element(1, E) =:= es_state ->
            hot([elixirscope_agent_cut:event(E, TB) | B], I - 1, K, TB, S);
        Other ->
            control(Other, taken(B, K - I, S))
    end.

%% The record after `Taken' events were put on the batch `B'.
taken(B, Taken, #st{n = N, accepted = A, win_n = W} = S) ->
    S#st{batch = B, n = N + Taken, accepted = A + Taken, win_n = W + Taken}.

checkpoint(#st{n = N, accepted = A, batch_size = Size, max_events = Max} = S) ->
    if
        A >= Max -> finish(max_events, S);
        N >= Size -> after_flush(flush(S));
        N rem ?CHECK_EVERY =:= 0 -> mailbox(S);
        true -> loop(S)
    end.

%% Over the rate: one event at a time, sampled.
slow(S) ->
    receive
        E when element(1, E) =:= trace_ts -> event(E, S);
        E when element(1, E) =:= es_state -> event(E, S);
        Other -> control(Other, S)
    end.

event(E, #st{win_n = W, rate = R} = S) when W < R; (W - R) rem ?SAMPLE =:= 0 ->
    accept(E, S#st{win_n = W + 1});
event(_, #st{win_n = W} = S) ->
    loop(drop(rate_limit, 1, S#st{win_n = W + 1})).

accept(E, S) ->
    #st{n = N, accepted = A, batch_size = Size, max_events = Max} = S1 = admit(E, S),
    if
        A >= Max -> finish(max_events, S1);
        N >= Size -> after_flush(flush(S1));
        N rem ?CHECK_EVERY =:= 0 -> mailbox(S1);
        true -> loop(S1)
    end.

admit(E, #st{batch = B, n = N, accepted = A, term_bytes = TB} = S) ->
    S#st{batch = [elixirscope_agent_cut:event(E, TB) | B], n = N + 1, accepted = A + 1}.

drop(_, 0, S) ->
    S;
drop(Reason, Count, #st{pending = P, dropped = D, counters = C} = S) ->
    counters:add(C, 2, Count),
    counters:add(C, reason_index(Reason), Count),
    S#st{pending = add(Reason, Count, P), dropped = add(Reason, Count, D)}.

add(K, N, M) ->
    case M of
        #{K := Old} -> M#{K := Old + N};
        _ -> M#{K => N}
    end.

reason_index(R) -> 3 + index(R, ?REASONS, 1).

index(X, [X | _], I) -> I;
index(X, [_ | T], I) -> index(X, T, I + 1).

%% Sends the pending frames, the pending drop counts and the batch.
flush(#st{broken = Why} = S) when Why =/= undefined ->
    S;
flush(S) ->
    S1 = send_frames(send_drops(S)),
    send_batch(S1).

send_batch(#st{n = 0} = S) ->
    S;
send_batch(#st{sock = Sock, seq = Seq, batch = B, n = N, counters = C} = S) ->
    Bin = term_to_binary({events, Seq, lists:reverse(B)}),
    S1 = S#st{seq = Seq + 1, batch = [], n = 0, event_bytes = byte_size(Bin) div N},
    counters:add(C, 3, 1),
    case elixirscope_agent_wire:send_async(Sock, Bin) of
        ok -> counters:add(C, 1, N), S1#st{delivered = S1#st.delivered + N};
        busy -> drop(collector_busy, N, S1);
        closed -> drop(collector_busy, N, S1#st{broken = collector_closed})
    end.

send_drops(#st{pending = P} = S) when map_size(P) =:= 0 ->
    S;
send_drops(#st{pending = P} = S) ->
    maps:fold(fun(Reason, Count, Acc) ->
                      Frame = term_to_binary({drops, Count, Reason}),
                      case elixirscope_agent_wire:send_async(Acc#st.sock, Frame) of
                          ok -> Acc#st{pending = maps:remove(Reason, Acc#st.pending)};
                          _ -> Acc
                      end
              end, S, P).

send_frames(#st{frames = []} = S) ->
    S;
send_frames(#st{frames = [F | Rest], sock = Sock} = S) ->
    case elixirscope_agent_wire:send_async(Sock, term_to_binary(F)) of
        ok -> send_frames(S#st{frames = Rest});
        _ -> S
    end.

%% After each batch: the socket, the rate window, the mailbox.
after_flush(#st{broken = Why} = S) when Why =/= undefined ->
    finish(Why, S);
after_flush(S) ->
    mailbox(window(S)).

%% The mailbox length is checked after every batch; the memory, which costs
%% time in proportion to the mailbox, when it is due (see the module doc).
mailbox(S) ->
    case erlang:process_info(self(), message_queue_len) of
        {_, Q} when Q > S#st.max_queue -> loop(boost(0, overload(queue_limit, S)));
        {_, Q} ->
            S1 = case memory_due(Q, S) of
                     true -> memory(Q, S);
                     false -> boost(Q, near(Q, S))
                 end,
            loop(S1#st{last_q = Q})
    end.

%% Due after 8 batches or a quarter of the mailbox, whichever is more; or,
%% every 512 events, while the mailbox may hold more than half the limit at
%% the larger of the last batch's encoded bytes per event and the last
%% measured bytes per waiting message (a message holds its terms whole:
%% arguments are cut only once received).
memory_due(Q, #st{accepted = A, mem_at = At, batch_size = B, max_memory = Max,
                  event_bytes = E, message_bytes = W}) ->
    Since = A - At,
    Since >= max(?MEMORY_EVERY * B, Q div 4)
        orelse (Since >= 4 * ?CHECK_EVERY andalso 2 * Q * max(E, W) > Max).

%% Measures the memory; over the limit, sheds load, and half way there too
%% while the mailbox grows.
memory(Q, #st{accepted = A, last_q = Last} = S) ->
    [{memory, M}, {total_heap_size, H}] = erlang:process_info(self(), [memory, total_heap_size]),
    S1 = S#st{mem_at = A, message_bytes = message_bytes(M - H * erlang:system_info(wordsize), Q, S)},
    case M > S#st.max_memory of
        true -> boost(0, overload(memory_limit, S1));
        false when 2 * M > S#st.max_memory, Q > Last -> boost(Q, shed_early(memory_limit, S1));
        false -> boost(Q, near(Q, S1))
    end.

%% What a waiting message takes, learnt from a mailbox long enough to say.
message_bytes(Queued, Q, _) when Q >= 1000 -> Queued div Q;
message_bytes(_, _, #st{message_bytes = W}) -> W.

%% Catching up: while a backlog builds, the tracer runs at high priority.
%% See "Keeping up" in the module doc.
boost(Q, #st{boosted = false, batch_size = B} = S) when Q > 4 * B ->
    process_flag(priority, high),
    S#st{boosted = true};
boost(Q, #st{boosted = true, batch_size = B} = S) when Q < B ->
    process_flag(priority, normal),
    S#st{boosted = false};
boost(_, S) ->
    S.

window(#st{win_start = W0} = S) ->
    case now_ms() of
        T when T - W0 >= 1000 -> S#st{win_start = T, win_n = 0};
        _ -> S
    end.

tick(#st{batch_ms = Ms} = S) ->
    erlang:send_after(Ms, self(), tick),
    case flush(S) of
        #st{broken = Why} = S1 when Why =/= undefined ->
            finish(Why, S1);
        #st{batch_size = B} = S1 ->
            {_, Q} = erlang:process_info(self(), message_queue_len),
            case Q < B orelse memory_due(Q, S1) of
                false -> after_flush(S1);
                true -> after_flush(memory(Q, S1))
            end
    end.

%% The flood's source is found from the head of the mailbox and the guard
%% asked to turn it off; while it does, everything queued is dropped (and
%% counted), at high priority: the mailbox is the node's memory. The guard's
%% answer comes back as a message (`shed_done/3'); until then a new
%% overload only drops.
overload(Reason, S) ->
    process_flag(priority, high),
    S1 = flush(S#st{boosted = true}),
    {Head, Tally, Others1} = elixirscope_agent_shed:drain(?SHED_SAMPLE),
    S2 = case {S1#st.shedding, elixirscope_agent_shed:noisiest(Tally)} of
             {none, Source} when Source =/= none -> shed(Source, Reason, S1);
             _ -> S1
         end,
    {_, Q} = erlang:process_info(self(), message_queue_len),
    {Rest, _, Others2} = elixirscope_agent_shed:drain(Q),
    [self() ! M || M <- Others1 ++ Others2],
    erlang:garbage_collect(),
    drop(Reason, Head + Rest, S2).

%% Half way to the queue limit with the mailbox still growing, the noisiest
%% source is turned off before anything need be dropped: turning it off
%% takes the guard some milliseconds, during which the flood goes on. (Half
%% way to the memory limit is seen by a measurement, in `memory/2'.)
near(Q, #st{last_q = Last, max_queue = MaxQ} = S) when Q > Last, 2 * Q > MaxQ ->
    shed_early(queue_limit, S);
near(_, S) ->
    S.

%% The noisiest source of the next events, which are recorded as usual
%% meanwhile. Not while a source is being turned off, nor until four batches
%% after the last one was.
shed_early(Reason, #st{shedding = none, accepted = A, shed_at = At, batch_size = B} = S)
  when A - At >= 4 * B ->
    {Tally, S1} = sample(?SHED_SAMPLE, #{}, S),
    case elixirscope_agent_shed:noisiest(Tally) of
        none -> S1;
        Source -> shed(Source, Reason, S1)
    end;
shed_early(_, S) ->
    S.

sample(N, Tally, #st{accepted = A, max_events = Max} = S) when N > 0, A < Max ->
    receive
        E when element(1, E) =:= trace_ts; element(1, E) =:= es_state ->
            sample(N - 1, elixirscope_agent_shed:count(elixirscope_agent_shed:source(E), Tally), take(E, S))
    after 0 ->
        {Tally, S}
    end;
sample(_, Tally, S) ->
    {Tally, S}.

%% One event as `event/2' takes it, within the rate, returning the state.
take(E, #st{win_n = W, rate = R} = S) when W < R; (W - R) rem ?SAMPLE =:= 0 ->
    case admit(E, S#st{win_n = W + 1}) of
        #st{n = N, batch_size = Size} = S1 when N >= Size -> flush(S1);
        S1 -> S1
    end;
take(_, #st{win_n = W} = S) ->
    drop(rate_limit, 1, S#st{win_n = W + 1}).

shed(Source, Reason, #st{guard = G} = S) ->
    S#st{shedding = {elixirscope_agent_guard:disable_async(G, Source), Source, Reason}}.

shed_done({ok, true, Applied}, {_, Source, Reason}, #st{frames = Fs, disabled = D} = S) ->
    S#st{applied = Applied, disabled = [Source | D], shedding = none, shed_at = S#st.accepted,
         frames = Fs ++ [{pattern_disabled, Source, Reason}]};
shed_done({ok, false, Applied}, _, S) ->
    S#st{applied = Applied, shedding = none, shed_at = S#st.accepted};
shed_done({error, _}, _, S) ->
    S#st{shedding = none, shed_at = S#st.accepted}.

%% Everything that is not an event.
control(tick, S) ->
    tick(S);
control({inet_reply, _, ok}, S) ->
    loop(S);
control({inet_reply, _, {error, Why}}, S) ->
    finish({socket_error, Why}, S#st{broken = {socket_error, Why}});
control({tcp, Sock, Data}, #st{sock = Sock} = S) ->
    _ = inet:setopts(Sock, [{active, once}]),
    command(elixirscope_agent_wire:command(Data), S);
control({tcp_closed, Sock}, #st{sock = Sock} = S) ->
    finish(collector_closed, S#st{broken = collector_closed});
control({tcp_error, Sock, Why}, #st{sock = Sock} = S) ->
    finish({socket_error, Why}, S#st{broken = {socket_error, Why}});
control(max_duration, S) ->
    finish(max_duration, S);
control({'DOWN', Ref, process, _, Why}, #st{guard_ref = Ref} = S) ->
    finish({guard_down, Why}, S#st{guard = undefined});
control({elixirscope_agent, From, Ref, Request}, S) ->
    request(Request, From, Ref, S);
control({Ref, Reply}, #st{shedding = {Ref, _, _} = Shedding} = S) ->
    loop(shed_done(Reply, Shedding, S));
control({elixirscope_agent_guard, tracer_conflict, Caller, Spec}, #st{frames = Fs} = S) ->
    loop(S#st{frames = Fs ++ [{tracer_conflict, Caller, Spec}]});
control(_, S) ->
    loop(S).

command({plan, Plan}, S) ->
    case update(Plan, S) of
        {ok, S1} -> loop(S1);
        {error, Why, S1} -> loop(S1#st{frames = S1#st.frames ++ [{plan_rejected, Why}]})
    end;
command(stop, S) ->
    finish(collector_stop, S);
command(kill, S) ->
    finish(killed, S);
command(accepted, S) ->
    loop(S);
command({refused, _}, S) ->
    loop(S);
command({unknown, _}, S) ->
    loop(S).

request(stop, _, _, S) ->
    finish(stop, S);
request(kill, _, _, S) ->
    finish(killed, S);
request({update_plan, Plan}, From, Ref, S) ->
    case update(Plan, S) of
        {ok, S1} -> From ! {Ref, ok}, loop(S1);
        {error, Why, S1} -> From ! {Ref, {error, Why}}, loop(S1)
    end;
request(_, From, Ref, S) ->
    From ! {Ref, {error, unknown_request}},
    loop(S).

%% A new plan: the limits that shape the loop change too.
update(Plan0, #st{guard = G, term_bytes = TB} = S) ->
    case elixirscope_agent_plan:check(Plan0) of
        {error, Why} ->
            {error, Why, S};
        {ok, Plan} ->
            S1 = flush(S),
            case elixirscope_agent_guard:apply_plan(G, Plan, TB) of
                {ok, Applied} ->
                    #{limits := L} = Plan,
                    Summary = elixirscope_agent_guard:summary(Applied),
                    {ok, S1#st{applied = Applied, plan = Plan, disabled = [], shedding = none,
                               batch_size = maps:get(batch_size, L), batch_ms = maps:get(batch_ms, L),
                               term_bytes = maps:get(max_term_bytes, L),
                               rate = maps:get(max_events_per_sec, L),
                               max_queue = maps:get(max_queue, L), max_memory = maps:get(max_memory_bytes, L),
                               max_events = maps:get(max_events, L),
                               frames = S1#st.frames ++ [{plan_applied, Plan, Summary}]}};
                {error, Why} ->
                    {error, Why, S1}
            end
    end.

%% The end of a session, whatever its reason. The last frames are sent with
%% a blocking send: no tracing is left to feed the mailbox meanwhile.
finish(Reason, S) ->
    untrace(S),
    %% The collector's `kill' is the kill switch too: nothing marked as ours stays.
    Reason =:= killed andalso elixirscope_agent_trace:sweep(),
    Ref = erlang:trace_delivered(all),
    S1 = last_events(Ref, Reason, now_ms() + 1000, S),
    %% Nothing of this session is traced any more: a new one may start
    %% while the last frames go out.
    catch unregister(?NAME),
    case S1 of
        #st{broken = undefined, sock = Sock, n = N, seq = Seq} ->
            Last = [{events, Seq, lists:reverse(S1#st.batch)} || N > 0],
            S2 = S1#st{delivered = S1#st.delivered + N, seq = Seq + length(Last)},
            Final = S2#st.frames ++ [{drops, C, R} || {R, C} <- maps:to_list(S2#st.pending)]
                ++ Last ++ [{stopped, Reason, stats(S2)}],
            lists:foreach(fun(F) -> elixirscope_agent_wire:send_sync(Sock, F) end, Final),
            elixirscope_agent_wire:close(Sock);
        #st{sock = Sock} ->
            gen_tcp:close(Sock)
    end,
    exit(normal).

untrace(#st{guard = undefined, applied = A}) ->
    A =/= undefined andalso elixirscope_agent_guard:cleanup(A);
untrace(#st{guard = G, guard_ref = Ref, applied = A}) ->
    demonitor(Ref, [flush]),
    case elixirscope_agent_guard:finish(G) of
        ok -> ok;
        {error, _} -> A =/= undefined andalso elixirscope_agent_guard:cleanup(A)
    end.

%% Events produced before tracing was removed: recorded (or, after
%% max_events, counted as dropped) until the VM says all are delivered.
last_events(Ref, Reason, Deadline, S) ->
    receive
        {trace_delivered, all, Ref} ->
            S;
        E when element(1, E) =:= trace_ts; element(1, E) =:= es_state ->
            S1 = case Reason of
                     max_events -> drop(max_events, 1, S);
                     _ -> admit(E, S)
                 end,
            S2 = case S1#st.n >= S1#st.batch_size of
                     true -> flush(S1);
                     false -> S1
                 end,
            last_events(Ref, Reason, Deadline, S2);
        {tcp_closed, _} ->
            last_events(Ref, Reason, Deadline, S#st{broken = collector_closed});
        _ ->
            last_events(Ref, Reason, Deadline, S)
    after max(0, Deadline - now_ms()) ->
        S
    end.

stats(#st{delivered = Dv, dropped = Dr, seq = Seq, started = T0, disabled = Off}) ->
    #{delivered => Dv, dropped => Dr, batches => Seq, duration_ms => now_ms() - T0,
      disabled => lists:reverse(Off)}.

now_ms() -> erlang:monotonic_time(millisecond).
