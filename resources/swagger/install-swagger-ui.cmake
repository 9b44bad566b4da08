# Runs at build time (cmake -P, from proxy/CMakeLists.txt): installs the pinned
# swagger-ui-dist package with `npm ci` into the build directory and copies the files
# GET /docs serves into ASSET_DIR, from where they are compiled into tollgate_proxy.
#
# Inputs: NPM (npm; a *-NOTFOUND value, or OFF for -DTOLLGATE_SWAGGER_UI=OFF), SOURCE_DIR (this folder: package.json and
# package-lock.json), WORK_DIR (where node_modules goes), ASSET_DIR, STAMP, FILES (names).
#
# Without npm, or when `npm ci` fails (no registry), the build still succeeds: the assets
# become empty placeholders, /docs answers a page saying Swagger UI was not bundled, and
# STAMP is not written, so the next build tries again.
# The package's install scripts are not run (--ignore-scripts): swagger-ui-dist needs none,
# and its @scarf/scarf dependency would only send install analytics.

foreach(var NPM SOURCE_DIR WORK_DIR ASSET_DIR STAMP FILES)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "install-swagger-ui.cmake: ${var} is not set")
    endif()
endforeach()
string(REPLACE "," ";" FILES "${FILES}")

file(MAKE_DIRECTORY "${WORK_DIR}" "${ASSET_DIR}")
foreach(name package.json package-lock.json)
    configure_file("${SOURCE_DIR}/${name}" "${WORK_DIR}/${name}" COPYONLY)
endforeach()

set(installed FALSE)
if(NPM STREQUAL "OFF")
    set(reason "the build was configured with -DTOLLGATE_SWAGGER_UI=OFF")
else()
    set(reason "npm was not found when the build was configured")
endif()
if(NPM)
    set(ENV{SCARF_ANALYTICS} "false")
    execute_process(
        COMMAND "${NPM}" ci --prefix "${WORK_DIR}" --prefer-offline --ignore-scripts --no-audit --no-fund
                --loglevel=error
        RESULT_VARIABLE result
        OUTPUT_VARIABLE output
        ERROR_VARIABLE output)
    if(result EQUAL 0)
        set(installed TRUE)
        foreach(name IN LISTS FILES)
            if(NOT EXISTS "${WORK_DIR}/node_modules/swagger-ui-dist/${name}")
                set(installed FALSE)
                set(reason "swagger-ui-dist has no ${name}")
            endif()
        endforeach()
    else()
        set(reason "npm ci failed (${result}):\n${output}")
    endif()
endif()

if(installed)
    foreach(name IN LISTS FILES)
        file(COPY_FILE "${WORK_DIR}/node_modules/swagger-ui-dist/${name}" "${ASSET_DIR}/${name}"
             ONLY_IF_DIFFERENT)
    endforeach()
    file(TOUCH "${STAMP}")
else()
    message(WARNING "Swagger UI is not bundled into this build: ${reason}\n"
                    "GET /docs will say so; GET /openapi.json works. The next build tries again.")
    foreach(name IN LISTS FILES)
        # Keeps files of an earlier successful install; writes empty placeholders otherwise.
        if(NOT EXISTS "${ASSET_DIR}/${name}")
            file(WRITE "${ASSET_DIR}/${name}" "")
        endif()
    endforeach()
    file(REMOVE "${STAMP}")
endif()
