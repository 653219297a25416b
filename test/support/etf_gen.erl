%% etf_gen: the Erlang half of ElixirScope's ETF round-trip acceptance test (src/etf/erlang-roundtrip.test.ts).
%%
%% Uses only OTP. Two entry points, both run with `erl -noshell -pa Dir -run etf_gen <fun> Args...`, both
%% halting the node with status 0 on success and 2 on a crash:
%%
%%   generate Seed Count File
%%       Generates Count random terms from Seed (the same seed gives the same terms): atoms (Latin-1, Unicode,
%%       255 characters), integers (small, negative, bignums of thousands of bits), floats (negative, tiny,
%%       subnormal, random bit patterns), tuples (also of arity > 255), lists, improper lists, charlists,
%%       binaries, bitstrings, small maps and maps of more than 32 keys, local pids, ports and references
%%       (self(), spawn, open_port, make_ref()), external ones with large creations made by binary_to_term of
%%       hand-built NEW_PID_EXT / NEW_PORT_EXT / V4_PORT_EXT / NEWER_REFERENCE_EXT bytes, export funs,
%%       closures of this module with free variables, all nested. Each is encoded with term_to_binary with
%%       one of several option lists (cycling through ?OPTIONS), and written to File as a record:
%%
%%           <<OptionIndex:8, EtfSize:32, Etf:EtfSize/binary, DescSize:32, Desc:DescSize/binary>>
%%
%%       Desc is the canonical structural description of the term (see desc/1), which the TypeScript test
%%       computes independently from its decoded term; equal descriptions mean an exact decode.
%%
%%   check OriginalsFile OursFile ResultFile
%%       OriginalsFile is the file written by generate; OursFile holds our re-encodings, one per record, as
%%       <<Size:32, Etf:Size/binary>>. Writes to ResultFile one line "ok N" if binary_to_term(Ours) =:=
%%       binary_to_term(Original) for every record (N records), else one line per mismatch:
%%       "mismatch Index: <original> =/= <ours or the error>".
%%
%% The description format, one token per term, children in order (hex digits are upper case):
%%   A:<hex of UTF-8 name>                  atom
%%   I:<decimal>                            integer
%%   F:<16 hex digits of the IEEE bits>     float (exact)
%%   T{D1,D2,...}                           tuple
%%   L[D1,D2,...]                           proper list (a charlist too; [] is L[])
%%   IL[D1,...|Tail]                        improper list
%%   B:<hex>                                binary
%%   BS:<bit length>:<hex of the bytes, unused bits zero>   bitstring that is not a binary
%%   M{K=>V,...}                            map, the K=>V items sorted bytewise
%%   P:<node hex>:<id>:<serial>:<creation>  pid
%%   O:<node hex>:<id>:<creation>           port
%%   R:<node hex>:<creation>:<id1>.<id2>... reference, ID words in encoding order
%%   E:<module hex>:<function hex>:<arity>  export fun
%%   Fn:<module hex>:<index>:<uniq hex>:<arity>:<old index>:<old uniq>:<pid desc>[free variables]
-module(etf_gen).
-export([generate/1, check/1, closure/2, closure0/0, closure1/1]).

-define(OPTIONS, [
    [],
    [compressed],
    [{minor_version, 0}],
    [{minor_version, 1}],
    [{minor_version, 2}],
    [{compressed, 9}, {minor_version, 2}]
]).
-define(MAX_DEPTH, 4).

%% ---------------------------------------------------------------------------------------------------------
%% Entry points

generate([SeedText, CountText, File]) ->
    run(fun() ->
        Seed = list_to_integer(SeedText),
        Count = list_to_integer(CountText),
        _ = rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 2}),
        Ctx = context(),
        Options = ?OPTIONS,
        Records = [record(I, Ctx, Options) || I <- lists:seq(0, Count - 1)],
        ok = file:write_file(File, Records)
    end).

check([OriginalsFile, OursFile, ResultFile]) ->
    run(fun() ->
        {ok, Originals} = file:read_file(OriginalsFile),
        {ok, Ours} = file:read_file(OursFile),
        Result = compare(0, Originals, Ours, []),
        ok = file:write_file(ResultFile, unicode:characters_to_binary(Result))
    end).

run(Fun) ->
    try
        Fun(),
        erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "etf_gen crashed: ~p:~p~n~p~n", [Class, Reason, Stack]),
            erlang:halt(2)
    end.

record(I, Ctx, Options) ->
    Index = I rem length(Options),
    Term = term(Ctx, 0),
    Etf = term_to_binary(Term, lists:nth(Index + 1, Options)),
    Desc = iolist_to_binary(desc(Term)),
    [<<Index:8, (byte_size(Etf)):32>>, Etf, <<(byte_size(Desc)):32>>, Desc].

compare(N, <<>>, <<>>, []) ->
    io_lib:format("ok ~b~n", [N]);
compare(_, <<>>, <<>>, Bad) ->
    lists:reverse(Bad);
compare(N, <<_:8, Size:32, Etf:Size/binary, DSize:32, _:DSize/binary, Rest/binary>>,
        <<OSize:32, OursEtf:OSize/binary, OursRest/binary>>, Bad) ->
    Original = binary_to_term(Etf),
    Lines =
        try binary_to_term(OursEtf) of
            Original -> [];
            Other -> [io_lib:format("mismatch ~b: ~0tP =/= ~0tP~n", [N, Original, 12, Other, 12])]
        catch
            _:Reason -> [io_lib:format("mismatch ~b: ~0tP =/= binary_to_term failed: ~0tp (~0tP)~n",
                                       [N, Original, 12, Reason, OursEtf, 12])]
        end,
    compare(N + 1, Rest, OursRest, Lines ++ Bad);
compare(N, _, _, Bad) ->
    lists:reverse([io_lib:format("mismatch ~b: the files have different record counts~n", [N]) | Bad]).

%% ---------------------------------------------------------------------------------------------------------
%% Random terms

%% Identifiers that are expensive to make, made once and then picked from.
context() ->
    Self = self(),
    Spawned = [spawn(fun() -> ok end) || _ <- lists:seq(1, 3)],
    Opened = [open_port({spawn, "true"}, []) || _ <- lists:seq(1, 2)],
    Ports = Opened ++ erlang:ports(),
    #{pids => [Self | Spawned], ports => Ports}.

pick(List) -> lists:nth(rand:uniform(length(List)), List).

term(Ctx, Depth) when Depth >= ?MAX_DEPTH -> leaf(Ctx);
term(Ctx, Depth) ->
    case rand:uniform(20) of
        N when N =< 8 -> leaf(Ctx);
        9 -> list_to_tuple(terms(Ctx, Depth + 1, rand:uniform(7) - 1));
        10 -> terms(Ctx, Depth + 1, rand:uniform(7) - 1);
        11 -> improper(Ctx, Depth + 1);
        12 -> charlist();
        13 -> small_map(Ctx, Depth + 1);
        14 -> big_map(Ctx, Depth + 1);
        15 -> closure_term(Ctx, Depth + 1);
        16 when Depth =< 1 -> list_to_tuple([small_leaf() || _ <- lists:seq(1, 256 + rand:uniform(60))]);
        17 when Depth =< 1 -> [small_leaf() || _ <- lists:seq(1, 200 + rand:uniform(200))];
        18 -> {trace_ts, pick(maps:get(pids, Ctx)), call, {lists, map, terms(Ctx, Depth + 1, 2)}, {1700, 1, 2}};
        _ -> list_to_tuple(terms(Ctx, Depth + 1, 2))
    end.

terms(Ctx, Depth, N) -> [term(Ctx, Depth) || _ <- lists:seq(1, N)].

%% Elements of the large tuples and lists, kept small so that the file stays small.
small_leaf() ->
    case rand:uniform(4) of
        1 -> pick([a, b, ok, 'ü']);
        2 -> rand:uniform(300);
        3 -> -rand:uniform(1 bsl 40);
        4 -> float(rand:uniform(10))
    end.

leaf(Ctx) ->
    case rand:uniform(14) of
        1 -> atom();
        2 -> atom();
        3 -> integer();
        4 -> integer();
        5 -> float();
        6 -> binary();
        7 -> bitstring();
        8 -> pid(Ctx);
        9 -> port(Ctx);
        10 -> ref();
        11 -> export_fun();
        12 -> [];
        13 -> charlist();
        14 -> pick([true, false, nil, undefined, ok, error])
    end.

atom() ->
    case rand:uniform(8) of
        1 -> pick([ok, error, 'café', 'ÿ', '', 'hello world', 'Elixir.MyApp.Worker', '$gen_call']);
        2 -> list_to_atom([16#1F600, $x]);
        3 -> list_to_atom([16#3BB | lists:duplicate(rand:uniform(10), $λ)]);
        4 -> list_to_atom(lists:duplicate(255, $a));
        5 -> list_to_atom(lists:duplicate(255, 16#3BB));
        6 -> list_to_atom([rand:uniform(255) || _ <- lists:seq(1, rand:uniform(8))]);
        _ -> list_to_atom([$a - 1 + rand:uniform(26) || _ <- lists:seq(1, rand:uniform(6))])
    end.

integer() ->
    case rand:uniform(9) of
        1 -> rand:uniform(256) - 1;
        2 -> -rand:uniform(1000);
        3 -> pick([2147483647, -2147483648, 2147483648, -2147483649, 1 bsl 53, -(1 bsl 53), 0]);
        4 -> rand:uniform(1 bsl 32) - (1 bsl 31);
        5 -> rand:uniform(1 bsl 62) * pick([1, -1]);
        6 -> binary:decode_unsigned(rand:bytes(8 + rand:uniform(40))) * pick([1, -1]);
        7 -> binary:decode_unsigned(rand:bytes(256 + rand:uniform(600))) * pick([1, -1]);
        8 -> (1 bsl (rand:uniform(4000) + 100)) * pick([1, -1]);
        _ -> rand:uniform(100000)
    end.

float() ->
    case rand:uniform(6) of
        1 -> pick([0.0, -0.0, 1.0, -1.5, 5.0e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1.0e21]);
        2 -> (rand:uniform() - 0.5) * 1.0e6;
        3 -> -rand:uniform() * 1.0e-300;
        4 -> float(rand:uniform(1000));
        _ ->
            %% Random bits with a finite exponent (2047 is NaN/infinity).
            <<F/float>> = <<(rand:uniform(2) - 1):1, (rand:uniform(2047) - 1):11, (rand:uniform(1 bsl 52) - 1):52>>,
            F
    end.

binary() ->
    case rand:uniform(4) of
        1 -> <<>>;
        2 -> pick([<<"hello">>, <<"héllo"/utf8>>, <<"user:42">>]);
        _ -> rand:bytes(rand:uniform(64))
    end.

bitstring() ->
    Bits = rand:uniform(7),
    <<(rand:bytes(rand:uniform(8) - 1))/binary, (rand:uniform(1 bsl Bits) - 1):Bits>>.

charlist() ->
    case rand:uniform(3) of
        1 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(30))];
        2 -> "hello, world";
        3 -> [104, 233, 8364, 16#1F600]
    end.

improper(Ctx, Depth) ->
    Tail = case rand:uniform(3) of
        1 -> atom();
        2 -> integer();
        3 -> list_to_tuple(terms(Ctx, Depth, 2))
    end,
    terms(Ctx, Depth, rand:uniform(4)) ++ Tail.

small_map(Ctx, Depth) ->
    maps:from_list([{term(Ctx, Depth), term(Ctx, Depth)} || _ <- lists:seq(1, rand:uniform(7) - 1)]).

big_map(Ctx, Depth) when Depth > 2 -> small_map(Ctx, Depth);
big_map(Ctx, _Depth) ->
    Keys = [pick([small_leaf(), binary(), {k, rand:uniform(1000)}]) || _ <- lists:seq(1, 33 + rand:uniform(30))],
    maps:from_list([{K, pick([small_leaf(), leaf(Ctx)])} || K <- Keys]).

node_name() -> pick([<<"other@host">>, <<"app@tracehost.example.com">>, <<"nøde@høst"/utf8>>]).

%% Hand-built external identifiers, with large creations, that binary_to_term turns into real terms.
pid(Ctx) ->
    case rand:uniform(3) of
        1 -> pick(maps:get(pids, Ctx));
        _ ->
            Node = node_name(),
            binary_to_term(<<131, 88, 118, (byte_size(Node)):16, Node/binary, (rand:uniform(1 bsl 32) - 1):32,
                             (rand:uniform(1 bsl 32) - 1):32, (rand:uniform(1 bsl 32) - 1):32>>)
    end.

port(Ctx) ->
    Node = node_name(),
    case rand:uniform(3) of
        1 -> pick(maps:get(ports, Ctx));
        2 ->
            binary_to_term(<<131, 89, 118, (byte_size(Node)):16, Node/binary, (rand:uniform(1 bsl 28) - 1):32,
                             (rand:uniform(1 bsl 32) - 1):32>>);
        3 ->
            binary_to_term(<<131, 120, 118, (byte_size(Node)):16, Node/binary, (rand:uniform(1 bsl 64) - 1):64,
                             (rand:uniform(1 bsl 32) - 1):32>>)
    end.

ref() ->
    case rand:uniform(2) of
        1 -> make_ref();
        2 ->
            Node = node_name(),
            Words = rand:uniform(5),
            Ids = << <<(rand:uniform(1 bsl 32) - 1):32>> || _ <- lists:seq(1, Words) >>,
            binary_to_term(<<131, 90, Words:16, 118, (byte_size(Node)):16, Node/binary,
                             (rand:uniform(1 bsl 32) - 1):32, Ids/binary>>)
    end.

export_fun() ->
    pick([fun lists:map/2, fun erlang:'+'/2, fun 'Elixir.Enum':map/2, fun etf_gen:generate/1, fun erlang:self/0]).

closure_term(Ctx, Depth) ->
    case rand:uniform(3) of
        1 -> closure(term(Ctx, Depth), term(Ctx, Depth));
        2 -> closure0();
        3 -> closure1(term(Ctx, Depth))
    end.

closure(X, Y) -> fun(Z) -> {X, Y, Z} end.
closure0() -> fun(A, B) -> A + B end.
closure1(X) -> fun() -> X end.

%% ---------------------------------------------------------------------------------------------------------
%% Canonical description (see the header)

hex(Bin) -> binary:encode_hex(Bin).

desc(T) when is_atom(T) -> ["A:", hex(atom_to_binary(T, utf8))];
desc(T) when is_integer(T) -> ["I:", integer_to_binary(T)];
desc(T) when is_float(T) -> <<Bits:64>> = <<T/float>>, ["F:", io_lib:format("~16.16.0B", [Bits])];
desc(T) when is_tuple(T) -> ["T{", join([desc(E) || E <- tuple_to_list(T)]), "}"];
desc(T) when is_list(T) -> list_desc(T, []);
desc(T) when is_binary(T) -> ["B:", hex(T)];
desc(T) when is_bitstring(T) ->
    Size = bit_size(T),
    Pad = 8 - Size rem 8,
    ["BS:", integer_to_binary(Size), ":", hex(<<T/bitstring, 0:Pad>>)];
desc(T) when is_map(T) ->
    Pairs = lists:sort([iolist_to_binary([desc(K), "=>", desc(V)]) || {K, V} <- maps:to_list(T)]),
    ["M{", join(Pairs), "}"];
desc(T) when is_pid(T) ->
    <<131, 88, Rest/binary>> = term_to_binary(T, [{minor_version, 2}]),
    {Node, <<Id:32, Serial:32, Creation:32>>} = node_atom(Rest),
    ["P:", hex(Node), ":", integer_to_binary(Id), ":", integer_to_binary(Serial), ":", integer_to_binary(Creation)];
desc(T) when is_port(T) ->
    case term_to_binary(T, [{minor_version, 2}]) of
        <<131, 89, Rest/binary>> -> {Node, <<Id:32, Creation:32>>} = node_atom(Rest);
        <<131, 120, Rest/binary>> -> {Node, <<Id:64, Creation:32>>} = node_atom(Rest)
    end,
    ["O:", hex(Node), ":", integer_to_binary(Id), ":", integer_to_binary(Creation)];
desc(T) when is_reference(T) ->
    <<131, 90, Len:16, Rest/binary>> = term_to_binary(T, [{minor_version, 2}]),
    {Node, <<Creation:32, Ids:(4 * Len)/binary>>} = node_atom(Rest),
    Words = lists:join(".", [integer_to_binary(W) || <<W:32>> <= Ids]),
    ["R:", hex(Node), ":", integer_to_binary(Creation), ":", Words];
desc(T) when is_function(T) ->
    case erlang:fun_info(T, type) of
        {type, external} ->
            {module, M} = erlang:fun_info(T, module),
            {name, F} = erlang:fun_info(T, name),
            {arity, A} = erlang:fun_info(T, arity),
            ["E:", hex(atom_to_binary(M, utf8)), ":", hex(atom_to_binary(F, utf8)), ":", integer_to_binary(A)];
        {type, local} ->
            Info = erlang:fun_info(T),
            Get = fun(Key) -> proplists:get_value(Key, Info) end,
            ["Fn:", hex(atom_to_binary(Get(module), utf8)), ":", integer_to_binary(Get(new_index)), ":",
             hex(Get(new_uniq)), ":", integer_to_binary(Get(arity)), ":", integer_to_binary(Get(index)), ":",
             integer_to_binary(Get(uniq)), ":", desc(Get(pid)), "[", join([desc(V) || V <- Get(env)]), "]"]
    end.

list_desc([], Acc) -> ["L[", join(lists:reverse(Acc)), "]"];
list_desc([H | T], Acc) when is_list(T) -> list_desc(T, [desc(H) | Acc]);
list_desc([H | T], Acc) -> ["IL[", join(lists:reverse([desc(H) | Acc])), "|", desc(T), "]"].

join(Items) -> lists:join(",", Items).

%% The node atom at the start of an encoded pid/port/reference (SMALL_ATOM_UTF8_EXT or ATOM_UTF8_EXT).
node_atom(<<119, Len:8, Node:Len/binary, Rest/binary>>) -> {Node, Rest};
node_atom(<<118, Len:16, Node:Len/binary, Rest/binary>>) -> {Node, Rest}.
