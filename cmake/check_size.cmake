# cmake -DFILE=f -DMAX_SIZE=n -P check_size.cmake: fails if f is larger than n bytes.
file(SIZE "${FILE}" size)
math(EXPR max "${MAX_SIZE}")
if(size GREATER max)
  message(FATAL_ERROR "${FILE} is ${size} bytes, larger than its ${max}-byte partition "
                      "(build with -DCMAKE_BUILD_TYPE=MinSizeRel, as `make` does)")
endif()
