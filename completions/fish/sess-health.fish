# fish completion for sess-health (sesskit). The candidates come from the
# binary's command table (`sess-health __complete WORDS...` prints "WORD<TAB>TEXT"
# lines, each a whole word, which fish shows as is; ":file" asks for file
# names, ":file<TAB>PREFIX" for those after PREFIX, as in "--config=FILE").
function __sesskit_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    # "$cur" is one word even when empty: the word being completed
    set -l out (command $words[1] __complete $words[2..-1] "$cur" 2>/dev/null)
    if string match -q ':file*' -- "$out[1]"
        set -l pfx (string replace -r '^:file\t?' '' -- "$out[1]")
        for f in (__fish_complete_path (string sub -s (math (string length -- "$pfx") + 1) -- "$cur"))
            printf '%s%s\n' "$pfx" "$f"
        end
        return
    end
    printf '%s\n' $out
end
complete -c sess-health -f -a '(__sesskit_complete)'
complete -c check_sesskit -f -a '(__sesskit_complete)'
