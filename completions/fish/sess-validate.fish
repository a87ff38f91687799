# fish completion for sess-validate (sesskit). The candidates come from the
# binary's command table (`sess-validate __complete WORDS...` prints "WORD<TAB>TEXT"
# lines, which fish shows as is; ":file" asks for file names).
function __sesskit_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (command $words[1] __complete $words[2..-1] 2>/dev/null)
    if test "$out[1]" = ":file"
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\n' $out
end
complete -c sess-validate -f -a '(__sesskit_complete)'
