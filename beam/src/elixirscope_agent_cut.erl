%% @doc Cuts terms that are too large to record, at a cost bounded by the budget.
%%
%% A trace event can carry an arbitrary term: the arguments of a call, a
%% return value, a message, a GenServer state. Most are a few dozen bytes;
%% now and then one is a 40 MB binary or a list of a million tuples. Sending
%% such a term to the collector would cost more than everything else in the
%% recording, so every term inside an event is first measured against a
%% budget (the plan's `max_term_bytes') and, when it does not fit, replaced
%% by a cut version that keeps its type, its size and a prefix:
%%
%% ```
%% {'$es_cut', Kind, Size, Prefix}
%%   Kind   = list | tuple | map | binary | bitstring | integer | 'fun'
%%   Size   = exact element count for tuples and maps, byte count for
%%            binaries, element count or {at_least, N} for lists
%%   Prefix = the first elements (themselves cut when needed), a prefix of
%%            the bytes, or `none'
%% '''
%%
%% == Why the walk is bounded by the budget ==
%%
%% `erlang:external_size/1' would tell the exact size, but it visits the
%% whole term: measuring the million-tuple list would cost as much as
%% sending it. Instead {@link left/2} estimates the encoded size while
%% walking and stops as soon as the budget is spent. Every step of the walk
%% subtracts at least one byte, so a walk never takes more than `Budget'
%% steps, whatever the size of the term. Binaries are measured in constant
%% time. The estimate is close to, not equal to, the external format size;
%% it only needs to be monotonic and cheap.
%%
%% A term that fits is returned as it is (the same term, not a copy), so the
%% common case allocates nothing.
-module(elixirscope_agent_cut).

-export([event/2, fit/2, left/2]).

%% Room kept for the `{'$es_cut', ...}' wrapper itself.
-define(WRAPPER, 48).
%% Smallest budget worth spending on a nested prefix.
-define(MIN_PREFIX, 64).
-define(BIG, 16#FFFFFFFFFFFFFFFF).

%% @doc Cuts the terms inside one raw trace event (or `es_state' event) that
%% do not fit in `Budget' bytes, and returns the event with them replaced.
%% Events that carry no term (links, registrations) are returned unchanged.
-spec event(tuple(), pos_integer()) -> tuple().
event({trace_ts, _, call, {M, F, Args}, _} = E, B) when is_list(Args) ->
    replace(E, 4, {M, F, Args}, {M, F, fit(Args, B)});
event({trace_ts, _, return_from, _, _, _} = E, B) -> at(E, 5, B);
event({trace_ts, _, exception_from, _, _, _} = E, B) -> at(E, 5, B);
event({trace_ts, _, send, _, _, _} = E, B) -> at(E, 4, B);
event({trace_ts, _, send_to_non_existing_process, _, _, _} = E, B) -> at(E, 4, B);
event({trace_ts, _, 'receive', _, _} = E, B) -> at(E, 4, B);
event({trace_ts, _, exit, _, _} = E, B) -> at(E, 4, B);
event({trace_ts, _, spawn, _, {M, F, Args}, _} = E, B) when is_list(Args) ->
    replace(E, 5, {M, F, Args}, {M, F, fit(Args, B)});
event({trace_ts, _, spawned, _, {M, F, Args}, _} = E, B) when is_list(Args) ->
    replace(E, 5, {M, F, Args}, {M, F, fit(Args, B)});
event(E, _) ->
    E.

at(E, I, B) ->
    T = element(I, E),
    replace(E, I, T, fit(T, B)).

%% Only build a new event when something was cut.
replace(E, _, Same, Same) -> E;
replace(E, I, _, New) -> setelement(I, E, New).

%% @doc `Term' itself when its estimated encoded size is at most `Budget'
%% bytes, else a `{'$es_cut', ...}' tuple no larger than about `Budget'.
-spec fit(term(), non_neg_integer()) -> term().
fit(T, _) when is_atom(T); is_pid(T); is_port(T); is_reference(T); is_float(T) -> T;
fit(T, _) when is_integer(T), T >= -?BIG, T =< ?BIG -> T;
fit(T, B) ->
    %% The usual term is small: the VM measures it in C several times faster
    %% than a walk here, and the walk only runs for terms that need cutting.
    %% Measuring is linear in the term, like the copy into the tracer's heap
    %% that the VM has already made.
    case erlang:external_size(T) =< B of
        true -> T;
        false ->
            case left(T, B) of
                L when L >= 0 -> T;
                _ -> cut(T, B)
            end
    end.

%% @doc What is left of `Budget' after the estimated encoded size of `Term':
%% a negative number as soon as the term does not fit (the walk stops there).
-spec left(term(), integer()) -> integer().
left(_, L) when L < 0 -> L;
left(T, L) when is_integer(T), T >= 0, T < 256 -> L - 2;
left(T, L) when is_integer(T), T >= -16#80000000, T < 16#80000000 -> L - 5;
left(T, L) when is_integer(T), T >= -?BIG, T =< ?BIG -> L - 11;
left(T, L) when is_integer(T) -> L - erlang:external_size(T);
left(T, L) when is_atom(T) -> L - 4 - byte_size(atom_to_binary(T, utf8));
left(T, L) when is_float(T) -> L - 9;
left(T, L) when is_binary(T) -> L - 5 - byte_size(T);
left(T, L) when is_bitstring(T) -> L - 6 - byte_size(T);
left(T, L) when is_pid(T); is_port(T); is_reference(T) -> L - 30;
left(T, L) when is_list(T) -> list_left(T, L - 5);
left(T, L) when is_tuple(T) -> tuple_left(T, 1, tuple_size(T), L - 5);
left(T, L) when is_map(T) -> map_left(maps:next(maps:iterator(T)), L - 5);
left(T, L) when is_function(T) -> fun_left(T, L - 40).

list_left(_, L) when L < 0 -> L;
list_left([], L) -> L;
list_left([H | T], L) when is_integer(H), H >= 0, H < 256 -> list_left(T, L - 1);
list_left([H | T], L) -> list_left(T, left(H, L - 1));
list_left(Tail, L) -> left(Tail, L).

tuple_left(_, _, _, L) when L < 0 -> L;
tuple_left(_, I, N, L) when I > N -> L;
tuple_left(T, I, N, L) -> tuple_left(T, I + 1, N, left(element(I, T), L - 1)).

map_left(_, L) when L < 0 -> L;
map_left(none, L) -> L;
map_left({K, V, I}, L) -> map_left(maps:next(I), left(V, left(K, L))).

fun_left(F, L) ->
    case erlang:fun_info(F, env) of
        {env, Env} -> list_left(Env, L);
        _ -> L
    end.

%% Building the cut version: every helper below walks at most about `B'
%% steps. A container all of whose elements made it (some of them cut)
%% stays the container it was; only one that lost elements is wrapped.
cut(T, B) when is_binary(T) ->
    Keep = min(byte_size(T), max(0, B - ?WRAPPER)),
    {'$es_cut', binary, byte_size(T), binary:copy(binary:part(T, 0, Keep))};
cut(T, B) when is_bitstring(T) ->
    Keep = min(byte_size(T) - 1, max(0, B - ?WRAPPER)),
    <<Prefix:Keep/binary, _/bitstring>> = T,
    {'$es_cut', bitstring, bit_size(T), binary:copy(Prefix)};
cut(T, _) when is_integer(T) ->
    {'$es_cut', integer, erlang:external_size(T), none};
cut(T, B) when is_list(T) ->
    case take_list(T, B - ?WRAPPER, []) of
        {Prefix, []} -> Prefix;
        {Prefix, Rest} -> {'$es_cut', list, count(Rest, length(Prefix), B), Prefix}
    end;
cut(T, B) when is_tuple(T) ->
    case take_tuple(T, 1, tuple_size(T), B - ?WRAPPER, []) of
        Prefix when tuple_size(Prefix) =:= tuple_size(T) -> Prefix;
        Prefix -> {'$es_cut', tuple, tuple_size(T), Prefix}
    end;
cut(T, B) when is_map(T) ->
    case take_map(maps:next(maps:iterator(T)), B - ?WRAPPER, #{}) of
        Prefix when map_size(Prefix) =:= map_size(T) -> Prefix;
        Prefix -> {'$es_cut', map, map_size(T), Prefix}
    end;
cut(T, _) when is_function(T) ->
    {module, M} = erlang:fun_info(T, module),
    {name, N} = erlang:fun_info(T, name),
    {arity, A} = erlang:fun_info(T, arity),
    {'$es_cut', 'fun', A, {M, N}};
cut(T, _) ->
    T.

%% Elements that fit are kept whole; the first one that does not is cut with
%% what is left (when that is worth it) and ends the prefix.
take_list([H | T], L, Acc) when L > 0 ->
    case left(H, L - 1) of
        Left when Left >= 0 -> take_list(T, Left, [H | Acc]);
        _ when L >= ?MIN_PREFIX -> {lists:reverse([cut(H, L) | Acc]), T};
        _ -> {lists:reverse(Acc), [H | T]}
    end;
take_list([], _, Acc) ->
    {lists:reverse(Acc), []};
take_list(Rest, _, Acc) ->
    {lists:reverse(Acc), Rest}.

%% The length of a list we only saw the start of: counted on while that
%% stays within the budget, else `{at_least, N}'.
count([], N, _) -> N;
count([_ | T], N, B) when B > 0 -> count(T, N + 1, B - 1);
count(_, N, _) -> {at_least, N}.

take_tuple(_, I, N, _, Acc) when I > N -> list_to_tuple(lists:reverse(Acc));
take_tuple(T, I, N, L, Acc) when L > 0 ->
    E = element(I, T),
    case left(E, L - 1) of
        Left when Left >= 0 -> take_tuple(T, I + 1, N, Left, [E | Acc]);
        _ when L >= ?MIN_PREFIX -> list_to_tuple(lists:reverse([cut(E, L) | Acc]));
        _ -> list_to_tuple(lists:reverse(Acc))
    end;
take_tuple(_, _, _, _, Acc) ->
    list_to_tuple(lists:reverse(Acc)).

take_map({K, V, I}, L, Acc) when L > 0 ->
    case left(K, L - 1) of
        LK when LK < 0 -> Acc;
        LK ->
            case left(V, LK) of
                Left when Left >= 0 -> take_map(maps:next(I), Left, Acc#{K => V});
                _ when LK >= ?MIN_PREFIX -> Acc#{K => cut(V, LK)};
                _ -> Acc
            end
    end;
take_map(_, _, Acc) ->
    Acc.
