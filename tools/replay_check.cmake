# A seed replays bit for bit: two runs of the same seed print the same trace hash, and the
# trace file has one JSON object per event.
foreach(run a b)
    execute_process(COMMAND ${SIM} --protocol raft --nodes 5 --seeds 42..42 --faults brutal
                            --ops 100 --trace ${CMAKE_CURRENT_BINARY_DIR}/trace_${run}.jsonl --verbose
                    OUTPUT_VARIABLE out_${run} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "synod-sim failed:\n${out_${run}}")
    endif()
    string(REGEX MATCH "trace_hash=[0-9a-f]+" hash_${run} "${out_${run}}")
endforeach()
if(NOT hash_a OR NOT hash_a STREQUAL hash_b)
    message(FATAL_ERROR "replay differs: '${hash_a}' vs '${hash_b}'")
endif()
file(STRINGS ${CMAKE_CURRENT_BINARY_DIR}/trace_a.jsonl lines LIMIT_COUNT 3)
list(GET lines 0 first)
if(NOT first MATCHES "^\\{\"t\":[0-9]+,\"ev\":\"[a-z]+\"")
    message(FATAL_ERROR "unexpected trace line: ${first}")
endif()
message(STATUS "replayed with ${hash_a}")
