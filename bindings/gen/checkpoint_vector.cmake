# cmake -DVECTOR=in.txt -DAT=t -DOUT=out.txt -DRUN=test_program -P checkpoint_vector.cmake
# Writes VECTOR with a `checkpoint_at AT` record after loss_before (the test
# vector format's checkpoint record) to OUT, then runs RUN OUT.
file(READ "${VECTOR}" text)
string(REGEX MATCH "\nloss_before [^\n]*\n" line "${text}")
if(NOT line OR text MATCHES "\ncheckpoint_at ")
  message(FATAL_ERROR "${VECTOR}: no loss_before record, or a checkpoint_at already")
endif()
string(REPLACE "${line}" "${line}checkpoint_at ${AT}\n" text "${text}")
file(WRITE "${OUT}" "${text}")
execute_process(COMMAND "${RUN}" "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${RUN} ${OUT} failed (${rc})")
endif()
