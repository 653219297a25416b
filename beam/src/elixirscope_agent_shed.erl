%% @doc Load shedding: empties an overflowing mailbox and names the source
%% of events to turn off.
%%
%% When the tracer's mailbox grows past `max_queue', or the tracer's memory
%% past `max_memory_bytes', the events waiting cannot all be recorded in
%% time, and waiting longer only makes it worse: the mailbox is memory taken
%% from the node. So the tracer drops what is queued, counting every event it
%% drops, and then turns off the noisiest source, the one that produced most
%% of the dropped events, so that the same flood does not come back. Half
%% way to either limit, while the mailbox still grows, the tracer turns off
%% the noisiest source of the next events without dropping any, so that the
%% limit is seldom reached:
%%
%% ```
%%   source of an event                          turned off by
%%   call, return_from, exception_from  {M, F, A}    its trace pattern
%%   send, receive, send_to_non_existing {messages, Pid}  that process's send/receive flags
%%   spawn, exit, link, register, ...   {procs, Pid}      that process's procs flag
%%   es_state                           {state, Pid}      that process's debug function
%% '''
%%
%% Only the messages that were in the mailbox when the drain started are
%% taken, so the drain ends even while the flood goes on. Messages that are
%% not events (socket data, timers, requests) are handed back to the caller,
%% in order, to be handled as usual.
-module(elixirscope_agent_shed).

-export([drain/1, count/2, noisiest/1, source/1]).

%% @doc Takes up to `N' messages from the mailbox: returns how many events
%% were dropped, a count of them per source, and the other messages.
-spec drain(non_neg_integer()) -> {non_neg_integer(), #{term() => pos_integer()}, [term()]}.
drain(N) ->
    drain(N, 0, #{}, []).

drain(0, Dropped, Tally, Other) ->
    {Dropped, Tally, lists:reverse(Other)};
drain(N, Dropped, Tally, Other) ->
    receive
        E when element(1, E) =:= trace_ts; element(1, E) =:= es_state ->
            drain(N - 1, Dropped + 1, count(source(E), Tally), Other);
        M ->
            drain(N - 1, Dropped, Tally, [M | Other])
    after 0 ->
        drain(0, Dropped, Tally, Other)
    end.

%% @doc `Tally' with one more event of `Source'.
-spec count(term(), #{term() => pos_integer()}) -> #{term() => pos_integer()}.
count(Source, Tally) ->
    case Tally of
        #{Source := C} -> Tally#{Source := C + 1};
        _ -> Tally#{Source => 1}
    end.

%% @doc The source that produced the most events, or `none'.
-spec noisiest(#{term() => pos_integer()}) -> term() | none.
noisiest(Tally) ->
    case lists:reverse(lists:keysort(2, maps:to_list(Tally))) of
        [{Source, _} | _] -> Source;
        [] -> none
    end.

%% @doc The source of one event, as in the table of the module doc.
-spec source(tuple()) -> term().
source({trace_ts, _, call, {M, F, Args}, _}) when is_list(Args) -> {M, F, length(Args)};
source({trace_ts, _, call, MFA, _}) -> MFA;
source({trace_ts, _, return_from, MFA, _, _}) -> MFA;
source({trace_ts, _, exception_from, MFA, _, _}) -> MFA;
source({trace_ts, P, Kind, _, _, _}) when Kind =:= send; Kind =:= send_to_non_existing_process -> {messages, P};
source({trace_ts, P, 'receive', _, _}) -> {messages, P};
source({es_state, P, _, _, _, _}) -> {state, P};
source(E) -> {procs, element(2, E)}.
