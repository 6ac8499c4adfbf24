"""PTX text -> ``Module``: module directives, entries and ``.func``s with their
parameters, register and variable declarations (scoped by ``{ }`` blocks),
labels, predicated instructions and every operand form compilers emit.

Names declared inside a nested ``{ }`` scope get a unique suffix (``param0#3``)
so that later stages see one flat namespace per function. Performance
directives (``.maxntid``, ``.pragma``, ...) and debug sections are skipped.
"""
from __future__ import annotations

import re

from .errors import PtxSyntaxError, PtxUnsupportedError
from .lexer import EOF, FLOAT, INT, PUNCT, STRING, WORD, FloatLit, Token, tokenize
from .module import (Addr, ArgList, Function, Imm, Instruction, Label, Module, Not, Pair,
                     Reg, Sink, SourcePos, SpecialReg, Sym, VarDecl, Vec)
from .ptxtypes import PtxType, ptx_type

STATE_SPACES = ("global", "shared", "local", "const", "param")
_DIM_REGS = ("tid", "ntid", "ctaid", "nctaid")
SPECIAL_REGISTERS = frozenset(
    [f"%{r}.{c}" for r in _DIM_REGS for c in "xyz"]
    + ["%laneid", "%warpid", "%nwarpid", "%smid", "%nsmid", "%gridid", "%clock", "%clock_hi",
       "%clock64", "%globaltimer", "%globaltimer_lo", "%globaltimer_hi",
       "%lanemask_eq", "%lanemask_le", "%lanemask_lt", "%lanemask_ge", "%lanemask_gt",
       "%dynamic_smem_size", "%total_smem_size", "%aggr_smem_size"])
# performance-tuning and other directives that may follow a function header
_HEADER_DIRECTIVES = {".maxntid", ".reqntid", ".minnctapersm", ".maxnctapersm", ".maxnreg",
                      ".noreturn", ".explicitcluster", ".reqnctapercluster",
                      ".maxclusterrank", ".blocksareclusters"}
_WS = re.compile(r"\s+")


def parse_ptx(text: str) -> Module:
    """Parse a whole PTX module."""
    return _Parser(text).parse_module()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.module = Module()
        # per-function state
        self.scopes: list[dict[str, str]] = []
        self.func: Function | None = None
        self.unique = 0
        self.loc: SourcePos | None = None

    # --- token helpers ----------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind in (PUNCT, WORD) and tok.value == value

    def expect(self, value: str) -> Token:
        tok = self.next()
        if tok.kind not in (PUNCT, WORD) or tok.value != value:
            self.fail(f"expected '{value}', found {self.describe(tok)}", tok)
        return tok

    def expect_kind(self, kind: str, what: str) -> Token:
        tok = self.next()
        if tok.kind != kind:
            self.fail(f"expected {what}, found {self.describe(tok)}", tok)
        return tok

    @staticmethod
    def describe(tok: Token) -> str:
        return "end of input" if tok.kind == EOF else f"'{tok.value}'"

    def fail(self, message: str, tok: Token | None = None) -> None:
        tok = tok or self.peek()
        raise PtxSyntaxError(message, tok.line, self.line_text(tok.line))

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def skip_to(self, value: str) -> None:
        while not self.at(value):
            if self.peek().kind == EOF:
                self.fail(f"expected '{value}'")
            self.next()
        self.next()

    def skip_braces(self) -> None:
        self.expect("{")
        depth = 1
        while depth:
            tok = self.next()
            if tok.kind == EOF:
                self.fail("unbalanced '{'")
            if tok.kind == PUNCT and tok.value in "{}":
                depth += 1 if tok.value == "{" else -1

    def int_value(self) -> int:
        sign = -1 if self.at("-") and self.next() else 1
        return sign * self.expect_kind(INT, "an integer").value

    # --- module level -------------------------------------------------------
    def parse_module(self) -> Module:
        mod = self.module
        visible = extern = False
        while self.peek().kind != EOF:
            tok = self.next()
            v = tok.value
            if tok.kind != WORD:
                self.fail(f"unexpected {self.describe(tok)} at module level", tok)
            if v == ".version":
                num = self.next()
                mod.version = self.text[num.start:num.end]
            elif v == ".target":
                targets = [self.expect_kind(WORD, "a target").value]
                while self.at(","):
                    self.next()
                    targets.append(self.expect_kind(WORD, "a target").value)
                mod.target = tuple(targets)
            elif v == ".address_size":
                mod.address_size = self.expect_kind(INT, "an address size").value
                if mod.address_size != 64:
                    raise PtxUnsupportedError(".address_size 32 is not supported", tok.line)
            elif v == ".file":
                index = self.expect_kind(INT, "a file index").value
                mod.files[index] = self.expect_kind(STRING, "a file name").value
                while self.at(","):
                    self.next()
                    self.next()
            elif v == ".section":
                self.next()
                self.skip_braces()
            elif v in (".visible", ".weak", ".common"):
                visible = True
                continue
            elif v == ".extern":
                extern = True
                continue
            elif v in (".entry", ".func"):
                func = self.parse_function(v == ".entry", tok.line)
                func.visible = visible
                if func.name in mod.functions and mod.functions[func.name].body is not None:
                    if func.body is not None:
                        self.fail(f"function '{func.name}' defined twice", tok)
                else:
                    mod.functions[func.name] = func
            elif v in (".global", ".const", ".shared", ".local"):
                decl = self.parse_var_decl(v[1:], tok, extern)
                mod.variables.append(decl)
            elif v in (".pragma", ".alias"):
                self.skip_to(";")
            else:
                self.fail(f"unknown module-level directive '{v}'", tok)
            visible = extern = False
        return mod

    def parse_function(self, is_entry: bool, line: int) -> Function:
        returns: list[VarDecl] = []
        if not is_entry and self.at("("):
            returns = self.parse_param_list()
        name = self.expect_kind(WORD, "a function name").value
        params = self.parse_param_list() if self.at("(") else []
        func = Function(name, is_entry, params, returns, line=line)
        while self.peek().kind == WORD and self.peek().value.startswith("."):
            directive = self.next()
            if directive.value == ".pragma":
                self.skip_to(";")
            elif directive.value in _HEADER_DIRECTIVES:
                while self.peek().kind == INT or self.at(","):
                    self.next()
            else:
                self.fail(f"unexpected directive '{directive.value}' in function header",
                          directive)
        if self.at(";"):
            self.next()
            return func
        self.parse_body(func)
        return func

    def parse_param_list(self) -> list[VarDecl]:
        self.expect("(")
        params: list[VarDecl] = []
        while not self.at(")"):
            tok = self.next()
            if tok.value == ".reg":
                raise PtxUnsupportedError("register (.reg) function parameters are not supported",
                                          tok.line, self.line_text(tok.line))
            if tok.value != ".param":
                self.fail(f"expected '.param', found {self.describe(tok)}", tok)
            params.append(self.parse_decl_body("param", tok, allow_init=False))
            if self.at(","):
                self.next()
        self.expect(")")
        return params

    # --- declarations -------------------------------------------------------
    def parse_decl_body(self, space: str, first: Token, allow_init: bool = True,
                        extern: bool = False) -> VarDecl:
        align = 0
        vec = 1
        typ: PtxType | None = None
        while self.peek().kind == WORD and self.peek().value.startswith("."):
            word = self.next().value
            if word == ".align":
                align = self.expect_kind(INT, "an alignment").value
            elif word in (".v2", ".v4", ".v8"):
                vec = int(word[2:])
            elif word == ".ptr" or word[1:] in STATE_SPACES:
                continue
            elif ptx_type(word) is not None:
                typ = ptx_type(word)
            else:
                raise PtxUnsupportedError(f"unsupported declaration attribute '{word}'",
                                          first.line, self.line_text(first.line))
        if typ is None:
            self.fail("declaration without a type", first)
        name = self.expect_kind(WORD, "a name").value
        dims: list[int | None] = []
        while self.at("["):
            self.next()
            if self.at("]"):
                dims.append(None)
            else:
                dims.append(self.expect_kind(INT, "an array size").value)
            self.expect("]")
        if vec > 1:
            dims = [vec] + dims if not dims else dims[:-1] + [dims[-1] * vec]
        init = None
        if allow_init and self.at("="):
            self.next()
            init = self.parse_initializer()
        return VarDecl(name, space, typ, align or typ.size, tuple(dims), init, first.line, extern)

    def parse_initializer(self) -> list:
        values: list = []

        def item() -> None:
            if self.at("{"):
                self.next()
                while not self.at("}"):
                    item()
                    if self.at(","):
                        self.next()
                self.next()
                return
            sign = 1
            if self.at("-"):
                self.next()
                sign = -1
            tok = self.next()
            if tok.kind == INT:
                values.append(sign * tok.value)
            elif tok.kind == FLOAT:
                values.append(sign * tok.value.value)
            else:
                raise PtxUnsupportedError(
                    f"unsupported initializer {self.describe(tok)} (only numbers)", tok.line,
                    self.line_text(tok.line))
        item()
        return values

    def parse_var_decl(self, space: str, first: Token, extern: bool = False) -> VarDecl:
        decl = self.parse_decl_body(space, first, extern=extern)
        self.expect(";")
        return decl

    # --- function bodies ----------------------------------------------------
    def declare(self, name: str) -> str:
        unique = name
        if len(self.scopes) > 1:
            self.unique += 1
            unique = f"{name}#{self.unique}"
        self.scopes[-1][name] = unique
        return unique

    def resolve(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def parse_body(self, func: Function) -> None:
        self.func = func
        self.loc = None
        func.body = []
        self.scopes = [{p.name: p.name for p in func.params + func.returns}]
        self.expect("{")
        while True:
            tok = self.peek()
            if tok.kind == EOF:
                self.fail(f"missing '}}' at the end of function '{func.name}'")
            if tok.kind == PUNCT and tok.value == "{":
                self.next()
                self.scopes.append({})
            elif tok.kind == PUNCT and tok.value == "}":
                self.next()
                self.scopes.pop()
                if not self.scopes:
                    break
            elif tok.kind == WORD and self.at(":", 1) and not tok.value.startswith("%"):
                self.next()
                self.next()
                func.body.append(Label(tok.value, tok.line))
            elif tok.kind == WORD and tok.value == ".reg":
                self.parse_reg_decl()
            elif tok.kind == WORD and tok.value[1:] in STATE_SPACES:
                self.next()
                decl = self.parse_var_decl(tok.value[1:], tok)
                decl.name = self.declare(decl.name)
                func.variables.append(decl)
            elif tok.kind == WORD and tok.value == ".loc":
                self.parse_loc()
            elif tok.kind == WORD and tok.value in (".pragma", ".branchtargets", ".callprototype",
                                                   ".maxnreg"):
                self.skip_to(";")
            else:
                func.body.append(self.parse_instruction())
        self.func = None

    def parse_loc(self) -> None:
        tok = self.next()
        file_index = self.expect_kind(INT, "a file index").value
        line = self.expect_kind(INT, "a line").value
        col = self.expect_kind(INT, "a column").value if self.peek().kind == INT else 0
        while self.peek().line == tok.line and self.peek().kind != EOF and not (
                self.at("}") or self.at("{")):
            self.next()
        self.loc = SourcePos(file_index, line, col)

    def parse_reg_decl(self) -> None:
        first = self.next()
        typ = None
        while self.peek().kind == WORD and self.peek().value.startswith("."):
            word = self.next().value
            if word in (".v2", ".v4"):
                raise PtxUnsupportedError("vector registers are not supported", first.line,
                                          self.line_text(first.line))
            typ = ptx_type(word)
            if typ is None:
                raise PtxUnsupportedError(f"unsupported register type '{word}'", first.line,
                                          self.line_text(first.line))
        if typ is None:
            self.fail("register declaration without a type", first)
        while True:
            name = self.expect_kind(WORD, "a register name").value
            if self.at("<"):
                self.next()
                count = self.expect_kind(INT, "a register count").value
                self.expect(">")
                for k in range(count):
                    self.func.registers[self.declare(f"{name}{k}")] = typ
            else:
                self.func.registers[self.declare(name)] = typ
            if not self.at(","):
                break
            self.next()
        self.expect(";")

    def parse_instruction(self) -> Instruction:
        first = self.peek()
        guard = None
        if self.at("@"):
            self.next()
            negate = self.at("!") and self.next() is not None
            reg = self.parse_register(self.expect_kind(WORD, "a predicate"))
            guard = Not(reg) if negate else reg
        op_tok = self.expect_kind(WORD, "an instruction")
        if op_tok.value.startswith("."):
            self.fail(f"unknown directive '{op_tok.value}'", op_tok)
        parts = op_tok.value.split(".")
        operands: list = []
        while not self.at(";"):
            if self.peek().kind == EOF:
                self.fail("missing ';'", op_tok)
            operands.append(self.parse_operand())
            if self.at(","):
                self.next()
            elif not self.at(";"):
                self.fail(f"unexpected {self.describe(self.peek())} in operands")
        end = self.next()
        text = _WS.sub(" ", self.text[first.start:end.end])
        return Instruction(parts[0], tuple(p for p in parts[1:] if p), operands, guard,
                           first.line, text, self.loc)

    def parse_register(self, tok: Token) -> Reg | SpecialReg:
        name = tok.value
        unique = self.resolve(name)
        if unique is not None:
            return Reg(unique)
        if name in SPECIAL_REGISTERS:
            return SpecialReg(name)
        if name in ("%tid", "%ntid", "%ctaid", "%nctaid"):
            raise PtxUnsupportedError(f"vector special register '{name}' (use {name}.x)",
                                      tok.line, self.line_text(tok.line))
        raise PtxSyntaxError(f"undeclared register '{name}'", tok.line, self.line_text(tok.line))

    def parse_operand(self):
        tok = self.peek()
        if tok.kind == PUNCT:
            v = tok.value
            if v == "[":
                operand = self.parse_address()
            elif v in "{(":
                self.next()
                close = "}" if v == "{" else ")"
                items = []
                while not self.at(close):
                    items.append(self.parse_operand())
                    if self.at(","):
                        self.next()
                self.next()
                operand = Vec(tuple(items)) if v == "{" else ArgList(tuple(items))
            elif v == "!":
                self.next()
                operand = Not(self.parse_register(self.expect_kind(WORD, "a predicate")))
            elif v == "-":
                self.next()
                inner = self.next()
                if inner.kind == INT:
                    operand = Imm(-inner.value)
                elif inner.kind == FLOAT:
                    operand = _float_imm(inner.value, negate=True)
                else:
                    self.fail(f"expected a number after '-', found {self.describe(inner)}", inner)
            else:
                self.fail(f"unexpected {self.describe(tok)} in operands", tok)
        elif tok.kind == INT:
            self.next()
            operand = Imm(tok.value)
        elif tok.kind == FLOAT:
            self.next()
            operand = _float_imm(tok.value)
        elif tok.kind == WORD:
            self.next()
            if tok.value == "_":
                operand = Sink()
            elif tok.value.startswith("%"):
                operand = self.parse_register(tok)
            elif tok.value == "WARP_SZ":
                operand = Imm(32)
            else:
                operand = Sym(self.resolve(tok.value) or tok.value)
        else:
            self.fail(f"unexpected {self.describe(tok)} in operands", tok)
        if self.at("|"):
            self.next()
            operand = Pair(operand, self.parse_operand())
        return operand

    def parse_address(self) -> Addr:
        self.expect("[")
        tok = self.next()
        base: Reg | Sym | None
        offset = 0
        if tok.kind == WORD and tok.value.startswith("%"):
            base = self.parse_register(tok)
            if isinstance(base, SpecialReg):
                self.fail("a special register cannot be an address", tok)
        elif tok.kind == WORD:
            base = Sym(self.resolve(tok.value) or tok.value)
        elif tok.kind == INT:
            base, offset = None, tok.value
        else:
            self.fail(f"bad address {self.describe(tok)}", tok)
        while self.at("+") or self.at("-"):
            sign = 1 if self.next().value == "+" else -1
            if self.at("-"):
                self.next()
                sign = -sign
            offset += sign * self.expect_kind(INT, "an address offset").value
        self.expect("]")
        return Addr(base, offset)


def _float_imm(lit: FloatLit, negate: bool = False) -> Imm:
    value = -lit.value if negate else lit.value
    bits = lit.bits
    if bits is not None and negate:
        bits ^= 1 << (lit.width - 1)
    return Imm(value, True, lit.width, bits)
