# Script mode (cmake -P): writes funnel.1 from `funnel --help` and `funnel --version`, so the man
# page lists exactly the flags the binary takes (config/cli.cpp builds --help from the key table).
#   cmake -DFUNNEL=<binary> -DOUT=<funnel.1> -P FunnelManPage.cmake
execute_process(COMMAND ${FUNNEL} --help OUTPUT_VARIABLE help RESULT_VARIABLE help_status)
execute_process(COMMAND ${FUNNEL} --version OUTPUT_VARIABLE version RESULT_VARIABLE version_status)
if(NOT help_status EQUAL 0 OR NOT version_status EQUAL 0)
  message(FATAL_ERROR "funnel --help/--version failed (${help_status}/${version_status})")
endif()
string(STRIP "${version}" version)
string(REGEX REPLACE "^funnel " "" version "${version}")

# troff: a backslash is \e, a hyphen in a flag is \-, a line may not start with . or '.
function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "^([.'])" "\\\\&\\1" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

string(REPLACE ";" "\\;" help "${help}")
string(REPLACE "\n" ";" lines "${help}")
set(section "head")
set(body "")
set(summary "")
foreach(line IN LISTS lines)
  if(section STREQUAL "head")
    if(line MATCHES "^Usage:")
      continue()
    elseif(line MATCHES "^Options:")
      set(section "options")
      string(APPEND body ".SH OPTIONS\n")
    elseif(NOT line STREQUAL "" AND summary STREQUAL "")
      set(summary "${line}")
    endif()
  elseif(section STREQUAL "options")
    if(line MATCHES "^  (-[^ ]+( [^ ]+)?)  +(.*)$")
      roff_escape("${CMAKE_MATCH_1}" flag)
      roff_escape("${CMAKE_MATCH_3}" text)
      string(APPEND body ".TP\n.B ${flag}\n${text}\n")
    elseif(line MATCHES "^  (-[^ ]+( [^ ]+)?)$")
      roff_escape("${CMAKE_MATCH_1}" flag)
      string(APPEND body ".TP\n.B ${flag}\n")
    elseif(line MATCHES "^      +(.*)$")
      roff_escape("${CMAKE_MATCH_1}" text)
      string(APPEND body "${text}\n")
    elseif(line STREQUAL "")
      set(section "notes")
      string(APPEND body ".SH NOTES\n")
    endif()
  else()
    roff_escape("${line}" text)
    if(text STREQUAL "")
      string(APPEND body ".PP\n")
    else()
      string(APPEND body "${text}\n")
    endif()
  endif()
endforeach()

roff_escape("${summary}" summary)
string(TIMESTAMP year "%Y")
file(WRITE "${OUT}" ".TH FUNNEL 1 \"${year}\" \"funnel ${version}\" \"User Commands\"
.SH NAME
funnel \\- Redis\\-protocol connection proxy
.SH SYNOPSIS
.B funnel
[\\fIOPTIONS\\fR]
.SH DESCRIPTION
${summary}
${body}.SH FILES
.TP
.I /etc/funnel/funnel.toml
the configuration the packaged systemd unit (funnel.service) reads
.SH SIGNALS
SIGHUP re\\-reads TLS files and the backend password; SIGTERM and SIGINT stop accepting,
answer what is in flight and exit (server.drain_timeout_ms).
.SH SEE ALSO
redis\\-server(1), /usr/share/doc/funnel/
")
